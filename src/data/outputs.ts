// Where a run may write, checked after loading (when its inputs are known) and before any compute: a refused
// output costs nothing, and no output ever lands on an input of the run (issue 10, family 1).
import type { Problem } from '../protocol/messages';
import { InputError, problem, START } from './errors';
import { MAX_FILE_BYTES, seamProblem, specialFileName, type FileSeam, type WriteSeam } from './files';
import type { LoadedAnalysis } from './load';
import { basename, dirname, resolvePath } from './paths';

export interface OutputTarget {
  /** Absolute path. */
  path: string;
  /** What is written there, for messages: "report", "JSON", "weights". */
  what: string;
  /** When set, an existing file is replaced only if this accepts its bytes (e.g. weights Unroll wrote). */
  replaceable?: (bytes: Uint8Array) => boolean;
  /** Replacing the weights the run started from was asked for (a confirmed save target, or --force). */
  mayReplaceWeights?: boolean;
}

/** The files a run reads (none for `unroll example`). */
type RunFiles = Partial<LoadedAnalysis['meta']>;

/** Where writing `p` would land: the file a link points at, or the real folder plus the name for a new file. */
async function landsAt(files: FileSeam, p: string): Promise<string> {
  try {
    return await files.realpath(p);
  } catch {
    return files.realpath(dirname(p)).then(
      (folder) => resolvePath(folder, basename(p)),
      () => p,
    );
  }
}

async function targetProblem(target: OutputTarget, files: FileSeam, writes: WriteSeam): Promise<Problem | undefined> {
  const at = (message: string, hint: string) => problem(target.path, START, message, hint);
  const stat = await files.stat(target.path).catch(() => undefined);
  const special = specialFileName(stat?.kind);
  if (special)
    return at(
      `this is ${special}, not a regular file; Unroll writes the ${target.what} to regular files only`,
      'name a file',
    );
  if (stat && !stat.isFile)
    return at(`this is a folder, not a file to write the ${target.what} to`, 'name a file inside it');
  if (!stat) {
    const folder = dirname(target.path);
    const parent = await files.stat(folder).catch(() => undefined);
    if (!parent) return at(`the folder ${folder} does not exist`, 'create it first, or choose another folder');
    if (parent.isFile) return at(`${folder} is a file, not a folder`, 'choose a path inside a folder');
  }
  if (stat && target.replaceable) {
    const bytes = stat.size <= MAX_FILE_BYTES ? await files.readFile(target.path).catch(() => undefined) : undefined;
    if (!bytes || !target.replaceable(bytes))
      return at(
        `this file exists and was not written by Unroll; it is not overwritten`,
        'add --force to replace it, or choose another path',
      );
  }
  try {
    await writes.probe(target.path);
  } catch (e) {
    return at(`cannot write the ${target.what} here: ${seamProblem(e)}`, 'choose a path you can write to');
  }
  return undefined;
}

/**
 * Throws an InputError (one problem per refused output) when an output would land on an input of the run or on
 * another output, or cannot be written: a missing folder, a folder or a device as target, no permission.
 */
export async function checkOutputs(
  targets: OutputTarget[],
  inputs: RunFiles,
  files: FileSeam,
  writes: WriteSeam,
): Promise<void> {
  const roles: [string | undefined, string][] = [
    [inputs.dataFile, 'data file'],
    [inputs.modelFile, 'model file'],
    [inputs.weightsFile, 'weights file'],
  ];
  const inputAt = new Map<string, string>();
  for (const [file, role] of roles) if (file) inputAt.set(await landsAt(files, file), role);
  const problems: Problem[] = [];
  const taken = new Map<string, OutputTarget>();
  for (const target of targets) {
    const lands = await landsAt(files, target.path);
    const role = inputAt.get(lands);
    const other = taken.get(lands);
    taken.set(lands, target);
    if (role && !(role === 'weights file' && target.mayReplaceWeights)) {
      problems.push(
        problem(
          target.path,
          START,
          `this is the ${role} of this run; writing the ${target.what} here would destroy it`,
          `choose another path for the ${target.what}`,
        ),
      );
    } else if (other) {
      problems.push(
        problem(
          target.path,
          START,
          `the ${other.what} and the ${target.what} would both be written to this file`,
          'name two different files',
        ),
      );
    } else {
      const refused = await targetProblem(target, files, writes);
      if (refused) problems.push(refused);
    }
  }
  if (problems.length > 0) throw new InputError(problems);
}
