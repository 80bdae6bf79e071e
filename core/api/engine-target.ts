// Where an engine on another machine is and how to get in (modulargan serve prints all
// three): what the studio's Connect dialog asks for and its recent list keeps. Between the
// page and the host that connects (Electron main); browser-safe.

import { z } from 'zod';

export const engineTargetSchema = z.object({
  url: z
    .string()
    .max(2000)
    .refine((u) => /^https?:\/\/[^/?#\s]+\/?$/.test(u), 'must be the address modulargan serve printed, e.g. https://gpu-box:8470'),
  token: z.string().min(1).max(1000),
  /** SHA-256 of a self-signed certificate, AB:CD:… (modulargan serve prints it). */
  fingerprint: z
    .string()
    .max(200)
    .regex(/^([0-9a-fA-F]{2}:?){32}$/, 'must be the SHA-256 fingerprint modulargan serve printed (32 hex pairs)')
    .optional(),
});
export type EngineTarget = z.infer<typeof engineTargetSchema>;

/** How many engines the recent list keeps. */
export const RECENT_ENGINES = 8;
