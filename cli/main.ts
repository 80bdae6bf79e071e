// The `modulargan` command line: a thin front end over core.

import { Command } from 'commander';
import { BACKEND_NAMES, INFERENCE_BACKENDS, TRAINING_BACKENDS, listChoices } from '../core/engine/backends';
import { TRAINING_ENGINES } from '../core/engine/train';
import { backendsCommand } from './backends';
import { type EvalCommandOptions, evalCommand } from './eval';
import { type ExportCommandOptions, exportCommand } from './export';
import { type ExportDatasetOptions, exportDatasetCommand } from './export-dataset';
import { type BatchCommandOptions, batchCommand } from './batch';
import { type PresetExportOptions, presetExportCommand, presetImportCommand } from './preset';
import { type RunCommandOptions, runCommand } from './run';
import { type TrainCommandOptions, trainCommand } from './train';
import { validateCommand } from './validate';
import { interruptible } from './interrupt';
import type { ServeCommandOptions } from './serve';
import type { WorkerCommandOptions } from './worker';

// Backend choices come from the engine's one list, so help and refusals never drift from it.
const INFERENCE_HELP = listChoices(INFERENCE_BACKENDS);
const TRAINING_HELP = listChoices(TRAINING_BACKENDS);

export function buildProgram(): Command {
  const program = new Command()
    .name('modulargan')
    .description('ModularGAN Studio on the command line: validate, run, train and batch-process modular GAN graphs.')
    .showHelpAfterError();
  program
    .command('validate')
    .description('Check a project or preset file: exits 0 when valid, else 1 with one problem per line.')
    .argument('<file>', 'a .mgproj.json project or .mgpreset.json preset')
    .option('--json', 'print the diagnostics as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      process.exitCode = await validateCommand(file, opts, (line) => process.stdout.write(`${line}\n`));
    });
  program
    .command('backends')
    .description('List the tfjs backends that load here (and why others do not), with a conv/matMul micro-benchmark of each.')
    .option('--json', 'print the report and benchmark as JSON')
    .option('--quick', 'time each kernel once instead of for ~0.3 s')
    .option('--no-bench', 'only report which backends load')
    .option('--backend <name>', `require one backend: ${listChoices(BACKEND_NAMES)}`, 'auto')
    .action(async (opts: { json?: boolean; quick?: boolean; bench?: boolean; backend?: string }) => {
      process.exitCode = await backendsCommand(opts, (line) => process.stdout.write(`${line}\n`));
    });
  program
    .command('run')
    .description('Run a project\'s or preset\'s graph over images (or noise) and write PNGs.')
    .argument('<file>', 'a .mgproj.json project or .mgpreset.json preset')
    .requiredOption('-o, --output <dir>', 'folder for the PNGs (created if missing; existing files are kept)')
    .option('-i, --input <path...>', 'image file or folder for the image input; NODE=PATH when the graph has several')
    .option('--seed <n>', 'seed for noise and untrained weights', '0')
    .option('--backend <name>', INFERENCE_HELP, 'auto')
    .option('--batch <n>', 'images per batch', '8')
    .option('--count <n>', 'how many images to make when the graph has no image input')
    .option('--masks', "also write every transformer's mask and their sum")
    .option('--recursive', 'look for images in subfolders too')
    .option('--overwrite', 'replace output files that already exist')
    .option('-q, --quiet', 'no progress bar')
    .action(async (file: string, opts: RunCommandOptions) => {
      process.exitCode = await runCommand(file, opts, (line) => process.stdout.write(`${line}\n`));
    });
  program
    .command('batch')
    .description('Run a graph over every image in a folder: resumable, never touches inputs, reports every file it skipped.')
    .argument('<file>', 'a .mgproj.json project or .mgpreset.json preset with one image input')
    .requiredOption('-i, --input <dir>', 'folder of input images')
    .requiredOption('-o, --output <dir>', 'folder for the outputs (same relative names, .png)')
    .option('--recursive', 'include subfolders')
    .option('--glob <pattern>', "only files matching this pattern (e.g. '*.jpg', 'faces/**/*.png')")
    .option('--skip-existing', 'skip inputs whose outputs all exist (resume a stopped run)')
    .option('--stop-on-error', 'stop at the first file that cannot be processed')
    .option('--overwrite', 'replace output files that already exist')
    .option('--masks', "also write every transformer's mask and their sum")
    .option('--seed <n>', 'seed for noise and untrained weights', '0')
    .option('--backend <name>', INFERENCE_HELP, 'auto')
    .option('--batch <n>', 'images per batch', '8')
    .option('--report <file>', 'where to write the JSON report (default <output>/batch-report.json)')
    .option('--queue <url>', 'spread the batch over queue workers (modulargan worker) through Redis: redis://HOST:PORT[/DB]; the report is the same')
    .option('--job-size <n>', 'with --queue: files per queued share (default 4 batches; a multiple of --batch keeps the batches of a local run)')
    .option('--queue-name <name>', 'with --queue: the queue the workers listen on (default modulargan-batch)')
    .option('-q, --quiet', 'no progress bar')
    .action(async (file: string, opts: BatchCommandOptions) => {
      // Ctrl+C finishes the batch in flight, writes the report, and leaves a resumable folder.
      const ctrl = interruptible(['SIGINT']);
      process.exitCode = await batchCommand(file, opts, (line) => process.stdout.write(`${line}\n`), ctrl.signal);
    });
  program
    .command('worker')
    .description('Take batch shares from a queue (modulargan batch --queue) and run them here, until Ctrl+C; any number of workers, on any machines that see the same storage.')
    .requiredOption('--queue <url>', 'the Redis the batches are queued on: redis://HOST:PORT[/DB] (rediss:// for TLS)')
    .option('--map <remote=local...>', 'read paths under REMOTE (as the submitting machine names them) under LOCAL here, e.g. /mnt/nas=/data')
    .option('--concurrency <n>', 'shares run at once in this process', '1')
    .option('--backend <name>', INFERENCE_HELP, 'auto')
    .option('--name <name>', "this worker's name in progress and reports (default HOST:PID)")
    .option('--queue-name <name>', 'the queue to listen on (default modulargan-batch)')
    .option('--lock-seconds <n>', "a share held by a worker that died is taken over after this long (default 15)")
    .option('--train [queue]', 'also take queued trainings (modulargan train --queue), one at a time, from this queue (default modulargan-train)')
    .option('--train-lock-seconds <n>', 'a training held by a worker that died is taken over after this long, from its checkpoint (default 300)')
    .action(async (opts: WorkerCommandOptions) => {
      // Ctrl+C (or a polite kill) finishes the shares in hand and stops; a second one exits at once.
      const ctrl = interruptible(['SIGINT', 'SIGTERM']);
      const { workerCommand } = await import('./worker');
      process.exitCode = await workerCommand(opts, (line) => process.stdout.write(`${line}\n`), ctrl.signal);
    });
  program
    .command('serve')
    .description("Serve the engine and the studio's page for another machine: a browser there (or the studio app's Connect) uses this machine's engine, GPU and folders.")
    .option('--listen <host:port>', 'the address to listen on: 127.0.0.1:PORT (default, port 8470; reach it through an SSH tunnel), 0.0.0.0:PORT or [::]:PORT for every address (needs --cert/--key, or --insecure)')
    .option('--token-file <file>', 'the access token, in a file only you can read (default: MODULARGAN_TOKEN, else one made and kept in <state>/serve-token, mode 600)')
    .option('--cert <file>', 'serve over HTTPS with this certificate (PEM)')
    .option('--key <file>', "the certificate's private key (PEM, no passphrase)")
    .option('--insecure', 'allow plain HTTP on an address other machines can reach (only on a network you trust)')
    .option('--root <dir...>', 'the only folders the studio may read and write (datasets, projects, outputs); repeat for several')
    .option('--host-name <name...>', 'names the studio is reached by besides its addresses (a DNS name, or NAME:PORT at the end of a tunnel)')
    .option('--print-url', 'print the address with the access token in it')
    .option('--state <dir>', 'the engine\'s state folder (recent projects, presets, the kept token)')
    .action(async (opts: ServeCommandOptions) => {
      // Loaded only when asked: the web host and its engine process are not the other commands' business.
      const { serveCommand } = await import('./serve');
      const code = await serveCommand(opts, (line) => process.stdout.write(`${line}\n`), (line) => process.stderr.write(`${line}\n`));
      if (code) process.exit(code);
    });
  const preset = program.command('preset').description('Make presets from projects, and unpack preset bundles.');
  preset
    .command('export')
    .description('Save a project (or a selection of its nodes) as a preset; a .mgpreset file can bundle the weights.')
    .argument('<project>', 'a .mgproj.json project')
    .requiredOption('-o, --output <file>', 'a .mgpreset.json document, or a .mgpreset bundle')
    .option('--name <name>', "the preset's name (default: the project's)")
    .option('--nodes <ids>', 'comma-separated node ids to keep (default: all)')
    .option('--param <node.param...>', 'parameters to expose, as NODE.PARAM or NODE.PARAM=Name')
    .option('--with-weights', "bundle the modules' weights files (needs a .mgpreset output)")
    .action(async (file: string, opts: PresetExportOptions) => {
      process.exitCode = await presetExportCommand(file, opts, (line) => process.stdout.write(`${line}\n`));
    });
  preset
    .command('import')
    .description('Check a preset bundle and unpack it into a new folder (nothing in it is ever run).')
    .argument('<bundle>', 'a .mgpreset file')
    .requiredOption('--into <dir>', 'the folder that receives a new folder for the preset')
    .action(async (file: string, opts: { into: string }) => {
      process.exitCode = await presetImportCommand(file, opts, (line) => process.stdout.write(`${line}\n`));
    });
  program
    .command('train')
    .description('Train all modules of a project jointly; everything not given here comes from the project file.')
    .argument('<project>', 'a .mgproj.json project with a "training" section and its dataset')
    .option('--iterations <n>', 'total iterations (overrides training.iterations; also moves the learning-rate decay end)')
    .option('--resume', 'continue from the latest checkpoint in <project>.train/checkpoints')
    .option('--restart', "discard an earlier run's checkpoints, samples and log")
    .option('--backend <name>', `${TRAINING_HELP} (default: training.backend, else auto)`)
    .option('--stop-after <n>', 'stop after this many iterations, with a checkpoint, as if interrupted')
    .option('--engine <name>', `${listChoices(TRAINING_ENGINES)}: builtin (default) trains here; torch with PyTorch (python/modulargan_torch), on CUDA with mixed precision where there is a GPU; same run folder`)
    .option('--nproc <n>', 'with --engine torch: data-parallel processes on this machine (torchrun), e.g. one per GPU')
    .option('--queue <url>', 'train on a queue worker started with --train (a GPU machine, say) through Redis: redis://HOST:PORT[/DB]; its log is printed here')
    .option('--queue-name <name>', 'with --queue: the training queue (default modulargan-train; a pool of workers may listen on its own)')
    .option('-q, --quiet', 'no progress output')
    .action(async (file: string, opts: TrainCommandOptions) => {
      // Ctrl+C (or a polite kill) finishes the iteration in flight and writes a checkpoint; a
      // second one exits at once.
      const ctrl = interruptible(['SIGINT', 'SIGTERM']);
      process.exitCode = await trainCommand(file, opts, (line) => process.stdout.write(`${line}\n`), ctrl.signal);
    });
  program
    .command('export')
    .description("Copy a trained run's modules (E/G, transformers, R) into a folder with a project that uses them, ready to run or share.")
    .argument('<project>', 'a trained .mgproj.json project (its .train folder holds checkpoints)')
    .option('-o, --output <dir>', 'folder for the project and its .mgw files (created if missing); required unless --torch')
    .option('--torch <dir>', 'instead: a folder to train the project with PyTorch on a GPU machine or cluster (project, dataset, torchrun command line, Slurm script)')
    .option('--checkpoint <which>', "'latest', 'best', or an iteration", 'latest')
    .option('--half', 'store weights in half precision (half the size; outputs differ by about 1e-3)')
    .option('--project <file>', 'where to write the project (default: <output>/<project file name>); weights paths are relative to it')
    .action(async (file: string, opts: ExportCommandOptions) => {
      process.exitCode = await exportCommand(file, opts, (line) => process.stdout.write(`${line}\n`));
    });
  program
    .command('export-dataset')
    .description("Write a project's dataset as an image folder + CSV + dataset.json (how the PyTorch engine reads ColorMNIST and synthetic faces).")
    .argument('<project>', 'a .mgproj.json project')
    .option('--dataset <id>', "which dataset (default: the training section's)")
    .option('-o, --output <dir>', 'folder to write (default: <project>.data/<dataset id> beside the project; replaced if it exists)')
    .option('-q, --quiet', 'no progress lines')
    .action(async (file: string, opts: ExportDatasetOptions) => {
      process.exitCode = await exportDatasetCommand(file, opts, (line) => process.stdout.write(`${line}\n`));
    });
  program
    .command('eval')
    .description("Evaluate a trained project: the paper's classification error per target, a StarGAN-style baseline, ablations, FID; writes report.json and index.html.")
    .argument('<project>', 'a trained .mgproj.json project (its .train folder holds checkpoints)')
    .option('--report <dir>', 'folder for report.json, index.html and the PNGs (required unless --classifier-only)')
    .option('--classifier-only', 'only train (or reuse) the attribute classifier and print its accuracy; needs no trained run')
    .option('--iterations-classifier <n>', 'training iterations of the attribute classifier (default 3000; a classifier trained with the same settings is reused)')
    .option('--classifier-width <n>', 'channels of its first stage (default 16)')
    .option('--retrain-classifier', 'train the classifier again even when a matching one is saved')
    .option('--max-images <n>', 'test images to evaluate (default 200, spread over the test split)')
    .option('--checkpoint <n|best>', "the run's checkpoint to evaluate: its iteration, or best, which compares every run at its own best (default: the newest)")
    .option('--baseline <project>', 'a trained StarGAN-style project to compare with (default: <project>.stargan.mgproj.json, trained here if needed)')
    .option('--no-baseline', 'leave the StarGAN-style baseline out')
    .option('--train-baseline <n>', "iterations for the baseline (and no-cycle variant) when trained here (default: the ModularGAN run's)")
    .option('--train-no-cycle', 'train the λ_cyc = 0 variant for the cycle-loss ablation when it has no run (translation only)')
    .option('--cycle-ablation <project>', 'a trained λ_cyc = 0 project for the cycle-loss ablation (default: <project>.nocycle.mgproj.json when it has a run)')
    .option('--seed <n>', 'seed of target choices, noise and the classifier', '0')
    .option('--classifier-seed <n>', "the classifier's seed when it should not follow --seed (other targets and noise, the same classifier)")
    .option('--backend <name>', TRAINING_HELP, 'auto')
    .action(async (file: string, opts: EvalCommandOptions) => {
      process.exitCode = await evalCommand(file, opts, (line) => process.stdout.write(`${line}\n`));
    });
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  // A bug, not a user error: say what failed without a wall of bundled source (the wasm
  // backend's own handler would print one), and fail.
  process.stderr.write(`modulargan: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
