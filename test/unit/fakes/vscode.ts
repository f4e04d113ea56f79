// A small stand-in for the `vscode` module, enough to run the extension's units (src/extension/*.ts) on plain Node:
// events, Uris, file watchers, settings, a webview panel that records what is posted to it, diagnostics and a status
// bar item that keep what they were given. Loaded in place of `vscode` by useFakeVscode() (./useFakeVscode.ts).
// It models only what the units call; whatever it records is there for the tests to read.
import * as path from 'node:path';
import manifest from '../../../package.json';

type Listener<T> = (value: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  get path(): string {
    return this.fsPath;
  }
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.join(base.fsPath, ...parts));
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export class RelativePattern {
  constructor(
    readonly base: Uri,
    readonly pattern: string,
  ) {}
}

export class Range {
  constructor(
    readonly startLine: number,
    readonly startCharacter: number,
    readonly endLine: number,
    readonly endCharacter: number,
  ) {}
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
}

export class Diagnostic {
  source: string | undefined;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: DiagnosticSeverity,
  ) {}
}

export const version = '0.0.0-fake';

export class Disposable {
  constructor(private readonly callOnDispose: () => unknown) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  dispose(): void {
    this.callOnDispose();
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export enum StatusBarAlignment {
  Left = 1,
}
export enum ViewColumn {
  Beside = -2,
}
export enum ProgressLocation {
  Notification = 15,
}

/** A file watcher; `change` plays the file system's part. */
export class FakeWatcher {
  private readonly changes = new EventEmitter<Uri>();
  private readonly creates = new EventEmitter<Uri>();
  readonly onDidChange = this.changes.event;
  readonly onDidCreate = this.creates.event;
  disposed = false;
  constructor(readonly pattern: RelativePattern) {}
  /** The absolute path it watches. */
  get file(): string {
    return path.join(this.pattern.base.fsPath, this.pattern.pattern);
  }
  change(): void {
    this.changes.fire(Uri.file(this.file));
  }
  dispose(): void {
    this.disposed = true;
  }
}

/** A webview panel: what the extension posts is kept in `posted`; `fromWebview` plays the webview's part. */
export class FakeWebviewPanel {
  private readonly received = new EventEmitter<unknown>();
  private readonly disposing = new EventEmitter<void>();
  readonly posted: { type: string; [key: string]: unknown }[] = [];
  reveals = 0;
  title = '';
  iconPath: unknown;
  visible = true;
  readonly webview = {
    html: '',
    options: {},
    cspSource: 'fake-csp',
    asWebviewUri: (uri: Uri) => uri,
    onDidReceiveMessage: this.received.event,
    postMessage: (message: { type: string }) => {
      this.posted.push(message);
      return Promise.resolve(true);
    },
  };
  readonly onDidDispose = this.disposing.event;
  fromWebview(message: unknown): void {
    this.received.fire(message);
  }
  reveal(): void {
    this.reveals++;
  }
  dispose(): void {
    this.disposing.fire();
  }
}

export class FakeDiagnosticCollection {
  readonly entries = new Map<string, Diagnostic[]>();
  set(uri: Uri, diagnostics: Diagnostic[]): void {
    this.entries.set(uri.fsPath, diagnostics);
  }
  clear(): void {
    this.entries.clear();
  }
  dispose(): void {
    this.entries.clear();
  }
}

export class FakeStatusBarItem {
  text = '';
  tooltip: string | undefined;
  name = '';
  command: string | undefined;
  backgroundColor: ThemeColor | undefined;
  shown = false;
  show(): void {
    this.shown = true;
  }
  dispose(): void {
    this.shown = false;
  }
}

const saves = new EventEmitter<{ uri: Uri }>();

/** Everything the fake recorded, and the knobs a test turns. Reset by resetFake(). */
export const fake = {
  settings: {} as Record<string, unknown>,
  watchers: [] as FakeWatcher[],
  panels: [] as FakeWebviewPanel[],
  diagnostics: [] as FakeDiagnosticCollection[],
  statusItems: [] as FakeStatusBarItem[],
  messages: [] as { severity: 'error' | 'warning' | 'information'; text: string }[],
  /** executeCommand calls of commands not registered here (setContext, …). */
  commands: [] as unknown[][],
  registered: new Map<string, (...args: unknown[]) => unknown>(),
  log: [] as string[],
  /** An editor save of `file`. */
  save(file: string): void {
    saves.fire({ uri: Uri.file(file) });
  },
  /** The live watcher of `file`, if any. */
  watcherOf(file: string): FakeWatcher | undefined {
    return fake.watchers.find((w) => w.file === file && !w.disposed);
  },
};

export function resetFake(): void {
  fake.settings = {};
  for (const list of [
    fake.watchers,
    fake.panels,
    fake.diagnostics,
    fake.statusItems,
    fake.messages,
    fake.commands,
    fake.log,
  ])
    list.length = 0;
  fake.registered.clear();
}

export const workspace = {
  workspaceFolders: undefined as { uri: Uri }[] | undefined,
  onDidSaveTextDocument: saves.event,
  createFileSystemWatcher(pattern: RelativePattern): FakeWatcher {
    const watcher = new FakeWatcher(pattern);
    fake.watchers.push(watcher);
    return watcher;
  },
  getConfiguration() {
    // As VS Code does: a setting's value, else the default the manifest contributes.
    const manifestDefault = (key: string): unknown =>
      (manifest.contributes.configuration.properties as Record<string, { default?: unknown }>)[`unroll.${key}`]
        ?.default;
    return {
      get: <T>(key: string, fallback?: T): T =>
        key in fake.settings ? (fake.settings[key] as T) : ((manifestDefault(key) ?? fallback) as T),
      inspect: <T>(key: string) => ({ key: `unroll.${key}`, defaultValue: manifestDefault(key) as T | undefined }),
    };
  },
  asRelativePath(p: string | Uri): string {
    return typeof p === 'string' ? p : p.fsPath;
  },
};

const message = (severity: 'error' | 'warning' | 'information') => (text: string) => {
  fake.messages.push({ severity, text });
  return Promise.resolve(undefined);
};

export const window = {
  createWebviewPanel(): FakeWebviewPanel {
    const panel = new FakeWebviewPanel();
    fake.panels.push(panel);
    return panel;
  },
  createOutputChannel() {
    const line = (level: string) => (text: string) => fake.log.push(`${level}: ${text}`);
    return {
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
      debug: line('debug'),
      trace: line('trace'),
      dispose: () => undefined,
    };
  },
  registerWebviewPanelSerializer() {
    return { dispose: () => undefined };
  },
  createStatusBarItem(): FakeStatusBarItem {
    const item = new FakeStatusBarItem();
    fake.statusItems.push(item);
    return item;
  },
  showErrorMessage: message('error'),
  showWarningMessage: message('warning'),
  showInformationMessage: message('information'),
  withProgress<T>(
    _options: unknown,
    task: (progress: { report(): void }, token: { onCancellationRequested(): { dispose(): void } }) => Promise<T>,
  ): Promise<T> {
    return task({ report: () => undefined }, { onCancellationRequested: () => ({ dispose: () => undefined }) });
  },
};

export const languages = {
  createDiagnosticCollection(): FakeDiagnosticCollection {
    const collection = new FakeDiagnosticCollection();
    fake.diagnostics.push(collection);
    return collection;
  },
};

export const commands = {
  registerCommand(id: string, run: (...args: unknown[]) => unknown) {
    fake.registered.set(id, run);
    return { dispose: () => fake.registered.delete(id) };
  },
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    const run = fake.registered.get(id);
    if (run) return run(...args);
    fake.commands.push([id, ...args]);
    return undefined;
  },
};
