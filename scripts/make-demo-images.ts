// Draws the demo's four input images (simple cartoon faces, 64×64 PNG, a few KB each) so
// the demo project runs without any dataset. Run once: `npx tsx scripts/make-demo-images.ts`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const out = join(import.meta.dirname, '..', 'assets', 'demo', 'images');
mkdirSync(out, { recursive: true });
const faces = [
  { skin: '#f1c27d', hair: '#2b1b0e', bg: '#9ecae1', smile: true },
  { skin: '#e0ac69', hair: '#e8c547', bg: '#c7e9c0', smile: false },
  { skin: '#8d5524', hair: '#4a2c17', bg: '#fdd0a2', smile: true },
  { skin: '#ffdbac', hair: '#7f3f1a', bg: '#dadaeb', smile: false },
];
for (const [i, f] of faces.entries()) {
  const mouth = f.smile ? 'M24 44 Q32 52 40 44' : 'M25 46 L39 46';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">
    <rect width="64" height="64" fill="${f.bg}"/>
    <ellipse cx="32" cy="24" rx="20" ry="16" fill="${f.hair}"/>
    <ellipse cx="32" cy="36" rx="16" ry="19" fill="${f.skin}"/>
    <circle cx="26" cy="33" r="2.5" fill="#222"/><circle cx="38" cy="33" r="2.5" fill="#222"/>
    <path d="${mouth}" stroke="#8b1a1a" stroke-width="2.5" fill="none"/>
  </svg>`;
  await sharp(Buffer.from(svg)).png().toFile(join(out, `face-${i + 1}.png`));
}
console.log(`wrote ${faces.length} images to ${out}`);
