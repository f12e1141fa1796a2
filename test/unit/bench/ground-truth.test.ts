import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  GroundTruth,
  parseTruthLine,
  readTruth,
  writeTruth,
  type TruthEntry,
} from '../../../bench/population/ground-truth';

function sample(): GroundTruth {
  const truth = new GroundTruth();
  truth.declareShared('anonymous_id:kiosk-0');
  truth.observe('p1', ['anonymous_id:a1']);
  truth.observe('p1', ['user_id:u1', 'anonymous_id:a1', 'email:one@x.io']);
  truth.observe('p1', ['anonymous_id:a2']);
  truth.observe('p1', ['user_id:u1', 'anonymous_id:kiosk-0']);
  truth.observe('p2', ['anonymous_id:kiosk-0']);
  truth.observe('p2', ['anonymous_id:b1', 'anonymous_id:kiosk-0']);
  truth.observe('p2', ['anonymous_id:b2', 'anonymous_id:kiosk-0']);
  return truth;
}

describe('GroundTruth', () => {
  test('joins identifiers seen together, per person, in order of first sight', () => {
    expect([...sample().entries()]).toEqual([
      { id: 'anonymous_id:a1', person: 'p1', component: 'p1#0' },
      { id: 'user_id:u1', person: 'p1', component: 'p1#0' },
      { id: 'email:one@x.io', person: 'p1', component: 'p1#0' },
      { id: 'anonymous_id:a2', person: 'p1', component: 'p1#1' },
      { id: 'anonymous_id:b1', person: 'p2', component: 'p2#0' },
      { id: 'anonymous_id:b2', person: 'p2', component: 'p2#1' },
      { id: 'anonymous_id:kiosk-0', shared: ['p1', 'p2'] },
    ]);
  });

  test('a shared identifier never joins the identifiers it was sent with', () => {
    const truth = sample();
    expect(truth.sameComponent('anonymous_id:b1', 'anonymous_id:b2')).toBe(false);
    expect(truth.sameComponent('user_id:u1', 'email:one@x.io')).toBe(true);
    expect(truth.identifierCount).toBe(7);
    expect(truth.sharedCount).toBe(1);
  });

  test('one identifier sent by two people is a generator bug', () => {
    const truth = sample();
    expect(() => truth.observe('p2', ['email:one@x.io'])).toThrow(/email:one@x.io of p1 also sent by p2/);
    expect(() => truth.declareShared('user_id:u1')).toThrow(/already owned by p1/);
  });

  test('writes NDJSON and reads the same entries back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'truth-'));
    try {
      const file = path.join(dir, 'truth.ndjson');
      const entries = [...sample().entries()];
      expect(await writeTruth(file, entries)).toBe(entries.length);
      const read: TruthEntry[] = [];
      for await (const entry of readTruth(file)) read.push(entry);
      expect(read).toEqual(entries);

      writeFileSync(file, '{"id":"user_id:u1","person":"p1"}\n');
      await expect(async () => {
        for await (const entry of readTruth(file)) read.push(entry);
      }).rejects.toThrow(/truth.ndjson:1: not a truth entry/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('rejects lines that are not truth entries', () => {
    expect(() => parseTruthLine('{"id":"x","shared":[1]}')).toThrow(/not a truth entry/);
    expect(parseTruthLine('{"id":"x","shared":["p1"]}')).toEqual({ id: 'x', shared: ['p1'] });
  });
});
