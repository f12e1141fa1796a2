// Loads the identity graph's Lua scripts and runs them with one EVALSHA each (EVAL once after a
// Redis restart flushed the script cache). `--- @include "includes/x.lua"` lines are replaced by
// the file, once per script, because Redis takes a single script text.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { repoRoot } from '../common/config';

export const LUA_DIR = path.join(repoRoot, 'services', 'identity-resolver', 'lua');

const INCLUDE_LINE = /^--- @include "([^"]+)"[ \t]*$/gm;

export interface LuaScript {
  name: string;
  numberOfKeys: number;
  source: string;
  sha1: string;
}

function expandIncludes(file: string, included: Set<string>, dir: string): string {
  const text = readFileSync(file, 'utf8');
  return text.replace(INCLUDE_LINE, (_line, relative: string) => {
    const target = path.resolve(dir, relative);
    if (included.has(target)) return '';
    included.add(target);
    return expandIncludes(target, included, dir);
  });
}

/** `resolve-event-1.lua` -> a script taking 1 key (BullMQ's naming convention). Another service's
 * scripts pass their own folder. */
export function loadLuaScript(fileName: string, dir: string = LUA_DIR): LuaScript {
  const match = /-(\d+)\.lua$/.exec(fileName);
  if (match === null) throw new Error(`Lua script name must end with -<number of keys>.lua: ${fileName}`);
  const source = expandIncludes(path.join(dir, fileName), new Set(), dir);
  return {
    name: fileName,
    numberOfKeys: Number(match[1]),
    source,
    sha1: createHash('sha1').update(source).digest('hex'),
  };
}

export async function runLuaScript(
  redis: Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
): Promise<unknown> {
  if (keys.length !== script.numberOfKeys) {
    throw new Error(`${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
  }
  try {
    return await redis.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return redis.eval(script.source, keys.length, ...keys, ...args);
    }
    throw error;
  }
}
