/**
 * Which project the commands act on, apart from offline/stack-file.ts (yaml, the settings) so that cli/main.ts can
 * set it without loading those for --help and --version.
 */
import * as path from "node:path";

/**
 * The project the commands act on: the directory raptor-roles runs in, or main's --cwd DIR; never the CLI's own
 * checkout (a global install, or this checkout's binary run elsewhere, reads the stack files where it runs).
 */
let chosenDir: string | undefined;

/** main's --cwd DIR (resolved), or undefined to go back to the process's directory. */
export function useProjectDir(dir: string | undefined): void {
    chosenDir = dir === undefined ? undefined : path.resolve(dir);
}

export function projectDir(): string {
    return chosenDir ?? process.cwd();
}

/** Told of each stack file a command reads (main says which, README "One contract for every command"). */
type ReadListener = (file: string) => void;
const listeners = new Set<ReadListener>();

export function onStackFileRead(listener: ReadListener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
}

/** readStackFile's call: `file` was read. */
export function stackFileRead(file: string): void {
    listeners.forEach((l) => l(file));
}

/** Thrown when the directory acted on holds no Pulumi.yaml: naming it, and how to point at the project. */
export class ProjectDirError extends Error {
    readonly fix: string;
    constructor(readonly dir: string) {
        super(`no Pulumi.yaml in ${dir}: raptor-roles acts on the Pulumi project in the directory it runs in`);
        this.name = "ProjectDirError";
        this.fix = "cd to the project's checkout (where Pulumi.yaml is), or pass --cwd DIR";
    }
}
