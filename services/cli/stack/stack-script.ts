// Runs infra/local/stack.sh, which installs, starts and stops the local processes.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../common/config';

export const STACK_SCRIPT = path.join(repoRoot, 'infra', 'local', 'stack.sh');

export interface ScriptResult {
  code: number;
  stdout: string;
}

/** Runs the script with its stderr shown to the user; stdout is captured (and echoed when asked). */
export function runStackScript(
  args: string[],
  env: Record<string, string>,
  echo: boolean,
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [STACK_SCRIPT, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (echo) process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}
