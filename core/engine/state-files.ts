// The engine's own small files in its state folder: the recent-projects list, the
// autosave's recovery record, and the engines on other machines the studio app connected
// to (with their tokens: readable by this user only). Written atomically, so a crash never
// leaves half a file.

import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../files/atomic';
import { recoveryRecordSchema } from '../api/schemas';
import type { RecoveryRecord } from '../api/types';
import { type EngineTarget, RECENT_ENGINES, engineTargetSchema } from '../api/engine-target';

export const RECENT_LIMIT = 10;

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined; // missing or torn: treated as empty
  }
}

export function createStateFiles(dir: string) {
  const recentFile = join(dir, 'recent.json');
  const recoveryFile = join(dir, 'recovery.json');
  const enginesFile = join(dir, 'engines.json');
  return {
    /** Engines connected to lately, newest first; a damaged entry is left out. */
    async engines(): Promise<EngineTarget[]> {
      const raw = await readJson(enginesFile);
      return (Array.isArray(raw) ? raw : []).flatMap((e) => {
        const r = engineTargetSchema.safeParse(e);
        return r.success ? [r.data] : [];
      });
    },
    /** Puts `target` first (one entry per address). */
    async touchEngine(target: EngineTarget): Promise<void> {
      const list = [target, ...(await this.engines()).filter((e) => e.url !== target.url)].slice(0, RECENT_ENGINES);
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(enginesFile, JSON.stringify(list, null, 2), { backup: false, mode: 0o600 });
    },
    async recent(): Promise<string[]> {
      const r = z.array(z.string()).safeParse(await readJson(recentFile));
      return r.success ? r.data.slice(0, RECENT_LIMIT) : [];
    },
    /** Moves `path` to the front of the list. */
    async touchRecent(path: string): Promise<string[]> {
      const list = [path, ...(await this.recent()).filter((p) => p !== path)].slice(0, RECENT_LIMIT);
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(recentFile, JSON.stringify(list, null, 2), { backup: false });
      return list;
    },
    async recovery(): Promise<RecoveryRecord | null> {
      const raw = await readJson(recoveryFile);
      if (raw === undefined) return null;
      const r = recoveryRecordSchema.safeParse(raw);
      return r.success ? r.data : null;
    },
    async setRecovery(record: RecoveryRecord | null): Promise<void> {
      if (record === null) await rm(recoveryFile, { force: true });
      else {
        await mkdir(dir, { recursive: true });
        await writeFileAtomic(recoveryFile, JSON.stringify(record), { backup: false });
      }
    },
  };
}
