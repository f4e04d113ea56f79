// The Results the panel tests feed in, in the JSON form of src/protocol/json.ts: recorded from the examples by
// test/fixtures/results/record.mjs (re-run it when the engine's output changes).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export type FixtureName = 'rnn' | 'lstm' | 'gru' | 'exploding' | 'truncated';
export const fixtureNames: FixtureName[] = ['rnn', 'lstm', 'gru', 'exploding', 'truncated'];

const cache = new Map<FixtureName, any>();

export function fixture(name: FixtureName): any {
  if (!cache.has(name)) cache.set(name, JSON.parse(readFileSync(path.join(__dirname, '../fixtures/results', `${name}.json`), 'utf8')));
  return structuredClone(cache.get(name));
}
