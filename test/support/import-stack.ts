// For import tests: a tenants file naming the test's tenant (cdp import refuses unknown tenants),
// and stderr captured while `importFiles` runs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../../services/common/config';
import { config } from './real-stack';

export function importTestDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'cdp-import-test-'));
}

/** The shared stack's config with a tenants file holding `tenant` (write key `<tenant>-write-key`). */
export function importConfig(dir: string, tenant: string, overrides: Partial<Config> = {}): Config {
  const file = path.join(dir, 'tenants.json');
  writeFileSync(file, JSON.stringify({ tenants: [{ id: tenant, writeKeys: [`${tenant}-write-key`] }] }));
  return { ...config, CDP_TENANTS_FILE: file, ...overrides };
}

/** Runs `fn` with process.stderr captured; returns its result and what it wrote there. */
export async function withStderr<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  let stderr = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return { result: await fn(), stderr };
  } finally {
    spy.mockRestore();
    log.mockRestore();
  }
}
