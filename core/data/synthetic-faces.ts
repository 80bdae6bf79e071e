// Synthetic faces the project renders itself (SVG through sharp). Each item is an identity
// (face shape, skin, eyes, hair style) with attributes (hair colour, smiling, glasses); the
// same identity can be rendered with any other attributes, so the exact right answer of
// every translation ("this face, blond") is known pixel for pixel.

import seedrandom from 'seedrandom';
import sharp from 'sharp';
import { SYNTHETIC_FACES } from '../graph/attributes';
import { encodeCondition } from '../graph/conditions';
import type { AttributeGroup } from '../graph/ports';
import { type Dataset, splitEvery } from './dataset';

export interface FaceIdentity {
  /** Face half-width and half-height, as fractions of the image side. */
  readonly rx: number;
  readonly ry: number;
  readonly skin: string;
  readonly eyeColour: string;
  /** Eye radius and half the distance between the eyes, fractions of the side. */
  readonly eyeSize: number;
  readonly eyeGap: number;
  readonly hairStyle: 'short' | 'long' | 'bun' | 'fringe';
  readonly background: string;
}

export interface FaceAttributes {
  readonly hair: 'black' | 'blond' | 'brown';
  readonly smiling: boolean;
  readonly glasses: boolean;
}

const SKINS = ['#f5d0b5', '#e8b38f', '#c68863', '#9a6443', '#6e452c'];
const EYES = ['#4a2f1b', '#2f5d8a', '#3f7a46', '#5d6670'];
const BACKGROUNDS = ['#dfe6ee', '#e9e4da', '#dde9df', '#ece0e6'];
const STYLES = ['short', 'long', 'bun', 'fringe'] as const;
export const HAIR_COLOURS: Readonly<Record<FaceAttributes['hair'], string>> = { black: '#1c1a1a', blond: '#e3c35a', brown: '#6b3f1f' };

export function faceIdentity(seed: number, i: number): FaceIdentity {
  const r = seedrandom.alea(`${seed}:face:${i}`);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  return {
    rx: 0.24 + 0.06 * r(),
    ry: 0.3 + 0.06 * r(),
    skin: pick(SKINS),
    eyeColour: pick(EYES),
    eyeSize: 0.03 + 0.015 * r(),
    eyeGap: 0.09 + 0.03 * r(),
    hairStyle: pick(STYLES),
    background: pick(BACKGROUNDS),
  };
}

export function faceAttributes(seed: number, i: number): FaceAttributes {
  const r = seedrandom.alea(`${seed}:face-attributes:${i}`);
  return { hair: (['black', 'blond', 'brown'] as const)[Math.floor(r() * 3)]!, smiling: r() < 0.5, glasses: r() < 0.5 };
}

/** The SVG of a face on a 100×100 canvas, drawn at `size` px. */
export function faceSvg(id: FaceIdentity, a: FaceAttributes, size: number): string {
  const cx = 50;
  const cy = 54;
  const rx = id.rx * 100;
  const ry = id.ry * 100;
  const hair = HAIR_COLOURS[a.hair];
  const top = cy - ry;
  const back =
    id.hairStyle === 'long'
      ? `<rect x="${cx - rx - 6}" y="${top + 8}" width="${2 * rx + 12}" height="${ry * 1.6}" rx="10" fill="${hair}"/>`
      : id.hairStyle === 'bun'
        ? `<circle cx="${cx}" cy="${top - 6}" r="10" fill="${hair}"/>`
        : '';
  const cap = `<ellipse cx="${cx}" cy="${top + ry * 0.35}" rx="${rx + 3}" ry="${ry * 0.55}" fill="${hair}"/>`;
  const fringe = id.hairStyle === 'fringe' ? `<rect x="${cx - rx}" y="${top + ry * 0.3}" width="${2 * rx}" height="${ry * 0.28}" fill="${hair}"/>` : '';
  const eyeY = cy - ry * 0.1;
  const gap = id.eyeGap * 100;
  const er = id.eyeSize * 100;
  const eyes = [-1, 1]
    .map((s) => `<circle cx="${cx + s * gap}" cy="${eyeY}" r="${er * 1.6}" fill="#fff"/><circle cx="${cx + s * gap}" cy="${eyeY}" r="${er}" fill="${id.eyeColour}"/>`)
    .join('');
  const mouthY = cy + ry * 0.5;
  const mw = rx * 0.45;
  const mouth = a.smiling
    ? `<path d="M ${cx - mw} ${mouthY - 2} Q ${cx} ${mouthY + 9} ${cx + mw} ${mouthY - 2}" stroke="#8a2a2a" stroke-width="2.5" fill="#b84a4a"/>`
    : `<line x1="${cx - mw * 0.8}" y1="${mouthY}" x2="${cx + mw * 0.8}" y2="${mouthY}" stroke="#8a2a2a" stroke-width="2.5" stroke-linecap="round"/>`;
  const glasses = a.glasses
    ? [-1, 1].map((s) => `<circle cx="${cx + s * gap}" cy="${eyeY}" r="${er * 2.6}" stroke="#222" stroke-width="2" fill="none"/>`).join('') +
      `<line x1="${cx - gap + er * 2.6}" y1="${eyeY}" x2="${cx + gap - er * 2.6}" y2="${eyeY}" stroke="#222" stroke-width="2"/>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">` +
    `<rect width="100" height="100" fill="${id.background}"/>${back}` +
    `<ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" fill="${id.skin}"/>${cap}${fringe}${eyes}${mouth}${glasses}</svg>`
  );
}

/** Renders a face as size×size×3 floats in [-1, 1]. */
export async function renderFace(id: FaceIdentity, a: FaceAttributes, size: number): Promise<Float32Array> {
  const raw = await sharp(Buffer.from(faceSvg(id, a, size))).removeAlpha().raw().toBuffer();
  const out = new Float32Array(size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = raw[i]! / 127.5 - 1;
  return out;
}

export interface SyntheticFacesOptions {
  imageSize: number;
  seed?: number;
  /** Number of faces (default 5000). */
  count?: number;
  groups?: readonly AttributeGroup[];
}

const labelValues = (a: FaceAttributes): Record<string, string> => ({ hair: a.hair, smiling: a.smiling ? '1' : '0', glasses: a.glasses ? '1' : '0' });

export function syntheticFaces(opts: SyntheticFacesOptions): Dataset & {
  identityOf(i: number): FaceIdentity;
  attributesOf(i: number): FaceAttributes;
  /** Item i's face with other attributes: the exact ground truth of a translation. */
  counterfactual(i: number, a: Partial<FaceAttributes>): Promise<Float32Array>;
} {
  const seed = opts.seed ?? 0;
  const count = opts.count ?? 5000;
  const groups = opts.groups ?? [SYNTHETIC_FACES.hair, SYNTHETIC_FACES.smiling, SYNTHETIC_FACES.glasses];
  for (const g of groups)
    if (!Object.hasOwn(SYNTHETIC_FACES, g.name)) throw new Error(`synthetic faces have no attribute '${g.name}' (they have hair, smiling, glasses)`);
  const identityOf = (i: number) => faceIdentity(seed, i);
  const attributesOf = (i: number) => faceAttributes(seed, i);
  return {
    title: `synthetic faces (${opts.imageSize} px)`,
    imageSize: opts.imageSize,
    groups,
    ...splitEvery(count, 10),
    flip: false,
    notes: [],
    identityOf,
    attributesOf,
    counterfactual: (i, a) => renderFace(identityOf(i), { ...attributesOf(i), ...a }, opts.imageSize),
    async load(i) {
      const a = attributesOf(i);
      return { image: await renderFace(identityOf(i), a, opts.imageSize), labels: Float32Array.from(encodeCondition(groups, labelValues(a))) };
    },
  };
}
