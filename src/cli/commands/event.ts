/**
 * `aks-identity-auditor event FILE|- [--snapshot DIR]`: process Event Grid / CloudEvents JSON
 * from a file or stdin exactly as the webhook would (dedupe, route, re-evaluate, record,
 * alert), send the alerts that are due (the console channel prints them on stderr), and print
 * `{ "events": [ … ] }` (docs/contracts.md).
 */
import { readFile } from 'fs/promises';
import { resolve } from 'path';
import { loadSettings } from '../../config';
import { InputError } from '../../core/errors';
import { createRuntime } from '../../runtime';
import type { CommandContext } from '../main';

export async function eventCommand(
  file: string,
  options: { snapshot?: string },
  ctx: CommandContext,
): Promise<number> {
  const text =
    file === '-' ? await readStream(ctx.stdin) : await readInput(resolve(ctx.cwd, file), file);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      `${file === '-' ? 'stdin' : file}: not JSON (${(error as Error).message})`,
    );
  }
  const settings = loadSettings(ctx.env, {
    AUDIT_SNAPSHOT_DIR: options.snapshot ? resolve(ctx.cwd, options.snapshot) : undefined,
  });
  const runtime = await createRuntime(settings, {
    log: (line) => ctx.progress(line),
    clock: ctx.clock,
    packageRoot: ctx.packageRoot,
    consoleAlerts: true,
    consoleStream: ctx.stderr,
  });
  try {
    ctx.progress(runtime.sourceDescription);
    const outcome = await runtime.handleEventBatch(body);
    if ('validationResponse' in outcome) {
      ctx.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      return 0;
    }
    // Finish the work before printing: the alerts the events stored are sent now (the console
    // channel prints them; configured channels too), whatever the store.
    await runtime.deliverAlerts();
    ctx.stdout.write(`${JSON.stringify({ events: outcome.events }, null, 2)}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}

async function readInput(path: string, shown: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(
      `${shown}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
