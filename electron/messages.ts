// What travels between the Electron processes, with a schema for each hop. The page's calls
// reach main on CALL_CHANNEL; main forwards engine calls to the utility process, whose
// replies and run events come back; main passes run events and menu commands to the page.

import { z } from 'zod';

export const CALL_CHANNEL = 'modulargan:call';
export const RUN_EVENT_CHANNEL = 'modulargan:run-event';
export const MENU_CHANNEL = 'modulargan:menu';

/** main -> engine process */
export const engineRequestSchema = z.object({ id: z.number().int().nonnegative(), method: z.string().max(64), params: z.array(z.unknown()).max(8) });
export type EngineRequest = z.infer<typeof engineRequestSchema>;

/** engine process -> main: a reply to a request, or a run event */
export const engineMessageSchema = z.union([
  z.object({ id: z.number().int().nonnegative(), reply: z.unknown() }),
  z.object({ event: z.unknown() }),
]);
export type EngineMessage = z.infer<typeof engineMessageSchema>;

/** page -> main, the one argument of an invoke on CALL_CHANNEL */
export const pageCallSchema = z.object({ method: z.string().max(64), params: z.array(z.unknown()).max(8) });
