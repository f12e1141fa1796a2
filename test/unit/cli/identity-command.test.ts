import { runningResolverMessage } from '../../../services/cli/commands/identity-command';

describe('runningResolverMessage', () => {
  it('names every member with its host, and says how to stop them', () => {
    const message = runningResolverMessage('cdp-identity-resolver', [
      { memberId: 'cdp-identity-resolver-aa', clientId: 'cdp-identity-resolver', clientHost: '/10.0.0.7' },
      { memberId: 'cdp-identity-resolver-bb', clientId: 'cdp-identity-resolver', clientHost: '/10.0.0.8' },
    ]);
    expect(message.split('\n').slice(0, 3)).toEqual([
      'cdp identity rebuild: refused: the identity resolver is running (consumer group cdp-identity-resolver has 2 members):',
      '  cdp-identity-resolver on host 10.0.0.7 (member cdp-identity-resolver-aa)',
      '  cdp-identity-resolver on host 10.0.0.8 (member cdp-identity-resolver-bb)',
    ]);
    expect(message).toMatch(
      /Stop every `cdp run identity-resolver` and `cdp run all` process on those hosts \(SIGTERM/,
    );
  });
});
