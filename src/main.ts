import { Logger } from '@nestjs/common';
import { DEMO_KEYS } from './auth/api-keys';
import { validateEnv } from './config/env.validation';
import { adminKeyOf, createGateway, installGracefulShutdown } from './gateway';

async function bootstrap(): Promise<void> {
  const env = validateEnv(process.env);
  const app = await createGateway(env);
  await app.listen(env.PORT ?? 3000, '127.0.0.1');
  installGracefulShutdown(app, env);
  const port = Number(new URL(await app.getUrl()).port);
  const logger = new Logger('Gateway');
  logger.log(`Listening on http://127.0.0.1:${port} (${env.REDIS_URL ? 'Redis' : 'in-memory'} budgets)`);
  logger.log(`Dashboard: http://127.0.0.1:${port}/admin with admin key ${env.ADMIN_KEY ? '(ADMIN_KEY)' : adminKeyOf(app)}; metrics: http://127.0.0.1:${port}/metrics`);
  logger.log(`Demo keys: ${Object.keys(DEMO_KEYS).join(', ')} (sk-demo-alice on the free tier, sk-demo-bob on pro)`);
  logger.log(
    `Try: curl -s http://127.0.0.1:${port}/v1/chat/completions -H 'Authorization: Bearer sk-demo-alice' -H 'Content-Type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":50}'`,
  );
  logger.log(
    `Streamed: curl -sN http://127.0.0.1:${port}/v1/chat/completions -H 'Authorization: Bearer sk-demo-alice' -H 'Content-Type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":50,"stream":true,"stream_options":{"include_usage":true}}'`,
  );
}

bootstrap().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
