import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateProtoTypes, PB_TYPES_PATH } from '../../../scripts/gen-proto-types.js';

describe('src/protocol/pb-types.ts', () => {
  it('is what scripts/gen-proto-types.ts generates from proto/ (run `npx tsx scripts/gen-proto-types.ts` after a .proto edit)', () => {
    expect(readFileSync(PB_TYPES_PATH, 'utf8')).toBe(generateProtoTypes());
  });
});
