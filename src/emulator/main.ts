/**
 * Runs the emulator until SIGINT or SIGTERM:
 * `node lib/emulator/main.js [--port 4321] [--host 127.0.0.1] [--org name]`.
 */
import { startEmulator } from './index';

function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(args: readonly string[]): Promise<void> {
  const port = Number(option(args, 'port') ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${option(args, 'port')} is not a port number`);
  const emulator = await startEmulator({ port, host: option(args, 'host'), orgName: option(args, 'org') });
  // The emulator's own fake key: printing it is harmless and lets other processes call it.
  process.stdout.write(`Mackerel API emulator listening on ${emulator.url}\nAPI key (read+write): ${emulator.apiKey}\n`);
  const stop = () => {
    emulator.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
