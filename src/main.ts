import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { announceAdminKey } from './admin/admin-key-file';
import { gatewayBanner } from './banner';
import { validateEnv } from './config/env.validation';
import { GATEWAY_BUDGET_OPTIONS } from './config/gateway-config.module';
import { adminKeyOf, createGateway, installGracefulShutdown } from './gateway';
import type { KeySeed } from './keys/key-seed';
import { KEY_SEEDS } from './keys/keys.service';
import { ANTHROPIC_UPSTREAM, OPENAI_UPSTREAM, type Upstream } from './upstream/upstream';

let started: INestApplication | undefined;

async function bootstrap(): Promise<void> {
  const env = validateEnv(process.env);
  // Nest's start-up lines wait until the banner is out, so the banner is the first thing on screen
  const app = await createGateway({ holdStartupLogs: true });
  started = app;
  await app.listen(env.PORT ?? 3000, env.HOST ?? '127.0.0.1');
  installGracefulShutdown(app, env);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  const keys = app.get<Readonly<Record<string, KeySeed>>>(KEY_SEEDS);
  const tiers = app.get<TokenBudgetModuleOptions>(GATEWAY_BUDGET_OPTIONS).tiers;
  const tierOf = (user: KeySeed) => user.tier ?? tiers?.assignments?.[user.id] ?? tiers?.default ?? 'no';
  const adminKey = adminKeyOf(app);
  const notice = announceAdminKey(adminKey, process.stdout.isTTY === true, env.ADMIN_KEY_FILE);
  process.stdout.write(
    gatewayBanner({
      url,
      storage: app.get(ConfigService).get<string>('REDIS_URL') ? 'redis' : 'memory',
      upstreams: { openai: app.get<Upstream>(OPENAI_UPSTREAM).target, anthropic: app.get<Upstream>(ANTHROPIC_UPSTREAM).target },
      demoKey: Object.keys(keys)[0],
      keys: Object.entries(keys).map(([key, user]) => `${key} (user ${user.id}, ${tierOf(user)} tier)`),
      adminKey: notice.text,
      adminKeyShell: !adminKey.generated ? '$ADMIN_KEY' : notice.file ? `$(cat ${notice.file})` : adminKey.value,
    }),
  );
  app.flushLogs();
}

bootstrap().catch((error) => {
  started?.flushLogs();
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
