// Bundled into the test page before the webview: builds Results inside the browser, so big ones (2048 × 256)
// and in-memory ones (typed arrays, as the extension sends them) need no JSON round trip through the test process.
import { resultFromJson } from '../../src/protocol/json';
import { syntheticResult } from '../fixtures/results/synthetic';

(globalThis as Record<string, unknown>).unrollTest = { resultFromJson, syntheticResult };
