import { stackFailureAdvice } from '../../../services/cli/commands/stack-commands';

describe('stackFailureAdvice', () => {
  it('tells how to move a service when its port is taken', () => {
    expect(stackFailureAdvice(3)).toMatch(/change its address: CDP_KAFKA_BROKERS, .*CDP_REDIS_URL/);
  });

  it('tells what to do when a running service is on another port than its address names', () => {
    expect(stackFailureAdvice(5)).toMatch(
      /already runs on other ports .* set the address back .* `cdp down`, then `cdp up` with the new address/,
    );
  });

  it('adds nothing to failures stack.sh explains alone', () => {
    expect(stackFailureAdvice(4)).toBeUndefined();
  });
});
