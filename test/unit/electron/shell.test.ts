import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { menuTemplate } from '../../../electron/menu';
import { appPaths, projectArgument } from '../../../electron/paths';
import { ELECTRON_CSP, hardenContents, secureWebPreferences, withCsp } from '../../../electron/window-security';
import { buildElectron } from '../../../scripts/build-electron';

const root = join(import.meta.dirname, '..', '..', '..');

describe('window security', () => {
  it('isolates and sandboxes the page, without Node', () => {
    expect(secureWebPreferences('/p.cjs')).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, preload: '/p.cjs' });
  });

  it('blocks navigation away from the studio and every new window', () => {
    const handlers: Record<string, (e: { preventDefault(): void }, url?: string) => void> = {};
    let open: ((d: { url: string }) => { action: 'deny' }) | undefined;
    const opened: string[] = [];
    hardenContents({ on: ((ev: string, l: never) => (handlers[ev] = l)) as never, setWindowOpenHandler: (h) => (open = h) }, 'file:///app/index.html', (u) => opened.push(u));
    const nav = (url: string) => {
      let prevented = false;
      handlers['will-navigate']!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(nav('https://evil.example/')).toBe(true);
    expect(nav('file:///etc/passwd')).toBe(true);
    expect(nav('file:///app/index.html#x')).toBe(false);
    expect(open!({ url: 'https://arxiv.org/abs/1804.03343' })).toEqual({ action: 'deny' });
    expect(open!({ url: 'file:///x' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://arxiv.org/abs/1804.03343']);
    let webview = false;
    handlers['will-attach-webview']!({ preventDefault: () => (webview = true) });
    expect(webview).toBe(true);
  });

  it('sends a strict Content Security Policy with every response', () => {
    expect(withCsp({ a: ['b'] })).toEqual({ a: ['b'], 'Content-Security-Policy': [ELECTRON_CSP] });
    expect(ELECTRON_CSP).toContain("script-src 'self'");
    expect(ELECTRON_CSP).not.toContain('unsafe-eval');
  });
});

describe('menus and paths', () => {
  it('sends each menu command to the page, with recent projects', () => {
    const sent: unknown[] = [];
    const menu = menuTemplate((c, a) => sent.push([c, a]), ['/r/one.mgproj.json'], 'linux');
    const items = menu.flatMap((m) => m.submenu ?? []);
    const find = (label: string) => items.find((i) => i.label === label)!;
    expect(find('Save').accelerator).toBe('CmdOrCtrl+S');
    find('Save').click!();
    find('Run').click!();
    find('Open Recent').submenu![0]!.click!();
    expect(sent).toEqual([
      ['save', undefined],
      ['run', undefined],
      ['openRecent', '/r/one.mgproj.json'],
    ]);
    expect(menuTemplate(() => {}, [], 'linux').flatMap((m) => m.submenu ?? []).find((i) => i.label === 'Open Recent')!.enabled).toBe(false);
  });

  it('finds the built files, and the demo outside the asar when packaged', () => {
    expect(appPaths('/opt/app/resources/app.asar', '/opt/app/resources/app.asar/dist/electron', true).demo).toBe('/opt/app/resources/app.asar.unpacked/assets/demo/demo.mgproj.json');
    expect(appPaths('/src', '/src/dist/electron', false)).toMatchObject({ page: '/src/dist/renderer/index.html', preload: '/src/dist/electron/preload.cjs' });
    expect(projectArgument(['/usr/bin/studio', '--flag', '/p/x.mgproj.json'])).toBe('/p/x.mgproj.json');
  });
});

describe('electron-builder configuration', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const build = pkg.build;

  it('builds a Linux AppImage and deb from the bundled main', () => {
    expect(build.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(pkg.main).toBe('dist/electron/main.cjs');
    expect(build.files).toEqual(expect.arrayContaining(['dist/electron/**/*', 'dist/renderer/**/*', 'assets/**/*']));
    expect(build.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    expect(build.asar).toBe(true);
  });

  it('passes electron-builder’s own validation, and it would catch a mistake', async () => {
    const { getConfig, validateConfiguration } = await import('app-builder-lib/out/util/config/config.js');
    const { DebugLogger } = await import('builder-util');
    const quiet = new DebugLogger(false);
    const config = await getConfig(root, null, null);
    await expect(validateConfiguration(config, quiet)).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, linux: { ...config.linux, iconn: 'x' } } as typeof config, quiet)).rejects.toThrow(/configuration\.linux/);
  });

  it('sets the version, an icon at every desktop size, and a desktop entry', async () => {
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    expect(build.linux.icon).toBe('build/icons');
    for (const size of [16, 32, 48, 64, 128, 256, 512]) {
      const meta = await sharp(join(root, 'build', 'icons', `${size}x${size}.png`)).metadata();
      expect([meta.width, meta.height, meta.format], `${size}x${size}.png`).toEqual([size, size, 'png']);
    }
    // The window's icon ships inside the app.
    expect(build.files).toContain('build/icons/512x512.png');
    expect(appPaths('/src', '/src/dist/electron', false).icon).toBe('/src/build/icons/512x512.png');
    const entry = build.linux.desktop.entry;
    expect(entry).toMatchObject({ Name: build.productName, StartupWMClass: build.productName, Terminal: 'false' });
    // Desktop entry lists end with a semicolon, and Categories must hold a registered main category.
    for (const key of ['Categories', 'Keywords']) expect(entry[key], key).toMatch(/^([\w-]+;)+$/);
    expect(entry.Categories.split(';')).toContain('Graphics');
  });

  it('unpacks native modules and the files they read from the asar', () => {
    for (const m of ['onnxruntime-node', 'sharp', 'webgpu']) expect(build.asarUnpack).toContain(`**/node_modules/${m}/**`);
    expect(build.asarUnpack).toContain('**/*.node');
    expect(build.asarUnpack).toContain('assets/**');
  });
});

describe('the bundled engine process', () => {
  it('serves the engine from plain Node over a parentPort, as in Electron', async () => {
    // Inside the repository, so the bundle's external packages resolve from node_modules.
    mkdirSync(join(root, 'dist'), { recursive: true });
    const out = mkdtempSync(join(root, 'dist', 'test-electron-'));
    await buildElectron(out, ['engine-process']);
    const shim = join(out, 'parent-port-shim.cjs');
    // Electron gives a utility process `process.parentPort`; Node's fork IPC stands in for it.
    writeFileSync(shim, "process.parentPort = { on: (_e, l) => process.on('message', (data) => l({ data })), postMessage: (m) => process.send(m) };\n");
    const child = fork(join(out, 'engine-process.cjs'), [join(out, 'state'), join(root, 'test', 'fixtures', 'demo', 'demo.mgproj.json')], { execArgv: ['-r', shim], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    try {
      const reply = await new Promise<unknown>((resolve, reject) => {
        child.on('exit', (code) => reject(new Error(`the engine process exited with code ${code}`)));
        child.on('message', (m: { id?: number; reply?: unknown }) => m.id === 7 && resolve(m.reply));
        child.send({ id: 7, method: 'openDemo', params: [] });
      });
      expect(reply).toMatchObject({ ok: true, result: { path: null, project: { name: 'Demo: hair translation' } } });
    } finally {
      child.kill();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
