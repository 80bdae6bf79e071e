// `npm run icons`: renders build/icon.svg to the PNG sizes a Linux desktop wants, into
// build/icons/<size>x<size>.png, where electron-builder picks them up for the AppImage and
// deb (and the window uses the 512 one). The PNGs are committed so packaging needs no step.
import { mkdirSync } from 'node:fs';
import sharp from 'sharp';

export const iconSizes = [16, 32, 48, 64, 128, 256, 512];

const dir = new URL('../build/icons/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const size of iconSizes)
  await sharp(new URL('../build/icon.svg', import.meta.url).pathname, { density: Math.max(72, (72 * size) / 512) * 4 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(new URL(`${size}x${size}.png`, dir).pathname);
