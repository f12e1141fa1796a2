// `cdp privacy` refuses bad input before anything is sent: a malformed identifier exits 1 naming it,
// an unknown tenant exits 1 naming the tenants file.
import { privacyRequest } from '../../../services/cli/commands/privacy-command';
import { config } from '../../support/real-stack';

async function run(identifier: string, tenant: string): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  try {
    return { code: await privacyRequest(config, 'delete', identifier, { tenant }), err: err.join('') };
  } finally {
    write.mockRestore();
  }
}

test('a malformed identifier exits 1 and names it', async () => {
  const { code, err } = await run('email:not-an-email', 'demo');
  expect(code).toBe(1);
  expect(err).toContain('invalid identifier "email:not-an-email": not an email address');
  expect((await run('no-type-here', 'demo')).code).toBe(1);
});

test('an unknown tenant exits 1', async () => {
  const { code, err } = await run('email:a@b.io', 'no-such-tenant');
  expect(code).toBe(1);
  expect(err).toContain("unknown tenant 'no-such-tenant'");
});
