import { destination, DestinationStream } from 'pino';
import pretty from 'pino-pretty';

/**
 * Where the logs go when no stream is given: on an interactive terminal, human-readable lines
 * (pino-pretty: time, level, `[context] message`; a request's fields, such as user and budget decision, below its line); otherwise (a pipe, a
 * file, a container's log collector) one JSON object per line. Both written synchronously, so the
 * last lines before a shutdown's exit are not lost.
 * @param terminal whether stdout is an interactive terminal (`process.stdout.isTTY`)
 */
export function logDestination(terminal: boolean = process.stdout.isTTY === true): DestinationStream {
  if (!terminal) return destination({ dest: 1, sync: true });
  return pretty({
    destination: 1,
    sync: true,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    messageFormat: '{if context}[{context}] {end}{msg}',
    ignore: 'pid,hostname,context,req,res,responseTime',
  });
}
