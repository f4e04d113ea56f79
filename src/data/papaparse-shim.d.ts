// The data layer sees papaparse through this declaration (src/data/tsconfig.json maps it) because
// @types/papaparse pulls in Node's types, which this layer must not see (README, "Layout"). csv.ts casts `parse`
// to the one stream-input signature it uses.
export declare const parse: unknown;
