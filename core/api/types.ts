// The one typed service interface every front end uses: the Electron window (through the
// preload and IPC into the engine process), the browser (through the web host's HTTP and
// WebSocket), and tests (in process). Browser-safe: types only, no Node.

import type { Graph } from '../graph/graph';
import type { Project } from '../graph/format/project';

export interface EngineInfo {
  readonly version: string;
  /** Which front end hosts the engine: native dialogs exist only in Electron. */
  readonly host: 'electron' | 'web' | 'test';
  readonly nativeDialogs: boolean;
}

export interface OpenedProject {
  /** null for an untitled document (the bundled demo opens untitled so Save never overwrites it). */
  readonly path: string | null;
  readonly project: Project;
  /** Folder that relative paths in the graph resolve against when it runs. */
  readonly baseDir: string;
  /** e.g. "upgraded from version 1" */
  readonly notes: readonly string[];
}

/** Unsaved work written by the autosave, offered back after a crash. */
export interface RecoveryRecord {
  readonly path: string | null;
  readonly baseDir: string;
  readonly project: Project;
  readonly savedAt: string;
}

export interface RunRequest {
  readonly graph: Graph;
  readonly baseDir: string;
  readonly seed?: number;
  /** Items to make when the graph has no image input. */
  readonly count?: number;
  readonly batchSize?: number;
  /** How many items per output come back as preview images. */
  readonly previews?: number;
}

export type RunEvent =
  | { readonly type: 'progress'; readonly runId: string; readonly done: number; readonly total: number }
  | {
      readonly type: 'preview';
      readonly runId: string;
      /** The image output or mask preview node. */
      readonly node: string;
      readonly index: number;
      /** data:image/png;base64,… */
      readonly png: string;
    }
  | {
      readonly type: 'finished';
      readonly runId: string;
      readonly processed: number;
      readonly seconds: number;
      readonly cancelled: boolean;
      readonly engine: string;
      readonly skipped: readonly string[];
    }
  | { readonly type: 'failed'; readonly runId: string; readonly message: string; /** the node at fault, when known */ readonly node?: string };

/** The engine's operations. Every method may reject with an Error whose message is for the user. */
export interface EngineApi {
  info(): Promise<EngineInfo>;
  /** The bundled demo project, ready to run. */
  openDemo(): Promise<OpenedProject>;
  openProject(path: string): Promise<OpenedProject>;
  /** Saves atomically (the previous file is kept as .bak); returns the absolute path. */
  saveProject(path: string, project: Project): Promise<{ path: string }>;
  listRecent(): Promise<string[]>;
  /** null clears the recovery file (after a save, or when the user discards it). */
  saveRecovery(record: RecoveryRecord | null): Promise<void>;
  loadRecovery(): Promise<RecoveryRecord | null>;
  /** A native file dialog; null when cancelled or when the host has none (the page asks itself). */
  chooseProjectPath(mode: 'open' | 'save', suggested: string | null): Promise<string | null>;
  startRun(request: RunRequest): Promise<{ runId: string }>;
  cancelRun(runId: string): Promise<void>;
  /** Run events of every run; returns the unsubscribe function. */
  onRunEvent(listener: (e: RunEvent) => void): () => void;
}

/** Commands from native menus (Electron) that the editor carries out. */
export const MENU_COMMANDS = ['new', 'open', 'save', 'saveAs', 'undo', 'redo', 'run', 'layout', 'openRecent'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

/** What the page sees as `window.modulargan`: the engine API plus native menu commands. */
export interface StudioBridge extends EngineApi {
  onMenuCommand?(listener: (command: MenuCommand, arg?: string) => void): () => void;
}

/** Methods that are request/response calls (onRunEvent is a subscription, not a call). */
export type ApiMethod = Exclude<keyof EngineApi, 'onRunEvent'>;
