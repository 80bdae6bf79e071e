// Where the built files are, in development (dist/) and in a packaged app (inside the asar,
// with data the engine reads natively unpacked beside it).

import { join } from 'node:path';

export function appPaths(appPath: string, here: string, packaged: boolean) {
  const unpacked = packaged ? appPath.replace(/app\.asar$/, 'app.asar.unpacked') : appPath;
  return {
    page: join(appPath, 'dist', 'renderer', 'index.html'),
    preload: join(here, 'preload.cjs'),
    engine: join(here, 'engine-process.cjs'),
    /** The window's icon (the desktop entry's comes from electron-builder's linux.icon). */
    icon: join(appPath, 'build', 'icons', '512x512.png'),
    /** sharp and onnxruntime read files natively: the demo must be outside the asar. */
    demo: join(unpacked, 'assets', 'demo', 'demo.mgproj.json'),
  };
}

/** A project file given on the command line ("modulargan-studio my.mgproj.json"). */
export function projectArgument(argv: readonly string[]): string | undefined {
  return argv.slice(1).find((a) => a.endsWith('.mgproj.json') && !a.startsWith('-'));
}
