// `npm start`: opens the studio on the demo project. In the Electron window where Electron
// can run; otherwise (no Electron binary, no display, or --web) in the browser through the
// web host, saying why.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const args = process.argv.slice(2);

function electronBinary() {
  if (args.includes('--web')) return { why: 'you asked for --web' };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { why: 'there is no display (DISPLAY is not set)' };
  try {
    // The electron package exports the path of its binary, and throws when it was never downloaded.
    return { path: require('electron') };
  } catch (e) {
    return { why: `Electron cannot run here (${String(e.message).split('\n')[0]})` };
  }
}

const run = (cmd, argv) =>
  new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
    for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  });

const electron = electronBinary();
if (electron.path) {
  const built = await run(process.execPath, [tsx, join(root, 'scripts', 'build-electron.ts')]);
  if (built !== 0) process.exit(built);
  process.exit(await run(electron.path, [root, ...args.filter((a) => a !== '--web')]));
}
console.log(`${electron.why}: starting the studio in your browser instead.`);
process.exit(await run(process.execPath, [tsx, join(root, 'web', 'main.ts'), ...args.filter((a) => a !== '--web')]));
