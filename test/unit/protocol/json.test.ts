// The one Result converter (src/protocol/json.ts): the JSON contract stays byte for byte what the recorded fixtures
// hold, and a Result arriving in any of its forms (in memory, JSON, typed arrays flattened by a JSON round trip)
// revives to the same Result.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resultFromJson, resultToJson, reviveResult } from '../../../src/protocol/json';
import type { AnalysisResult } from '../../../src/protocol/result';

const dir = path.resolve(__dirname, '../../fixtures/results');
const fixtures = readdirSync(dir).filter((n) => n.endsWith('.json'));

describe('the Result converter', () => {
  it('finds the recorded fixtures', () => assert.ok(fixtures.length >= 5, fixtures.join(', ')));

  for (const name of fixtures) {
    describe(name, () => {
      const text = readFileSync(path.join(dir, name), 'utf8');
      const json: unknown = JSON.parse(text);
      const same = (r: AnalysisResult, how: string) =>
        assert.equal(JSON.stringify(resultToJson(r)), JSON.stringify(json), how);

      it('JSON → Result → JSON gives the same bytes', () =>
        same(resultFromJson(json), 'resultToJson(resultFromJson(fixture))'));

      it('revives each form to the same Result', () => {
        const inMemory = resultFromJson(json);
        assert.ok(
          inMemory.dLdh.data instanceof Float64Array &&
            inMemory.flow.matrix.every((row) => row instanceof Float64Array),
        );
        same(reviveResult(json), 'the JSON form');
        same(reviveResult(inMemory), 'in memory');
        // What JSON.stringify makes of typed arrays (saved state, a transport that serializes): { "0": …, "1": … }.
        const flattened: unknown = JSON.parse(JSON.stringify(inMemory));
        assert.equal(
          Array.isArray((flattened as { lossPerStep: unknown }).lossPerStep),
          false,
          'the typed arrays really are flattened',
        );
        const revived = reviveResult(flattened);
        assert.ok(revived.dLdh.data instanceof Float64Array && revived.lossPerStep instanceof Float64Array);
        same(revived, 'typed arrays flattened to objects');
      });

      it('a flattened Result gets NaN back where JSON wrote null', () => {
        const broken = resultFromJson(json);
        broken.loss = NaN;
        broken.spectral.sigmaMax = Infinity;
        const revived = reviveResult(JSON.parse(JSON.stringify(broken)));
        assert.ok(
          Number.isNaN(revived.loss) && Number.isNaN(revived.spectral.sigmaMax),
          `${revived.loss}, ${revived.spectral.sigmaMax}`,
        );
      });
    });
  }
});
