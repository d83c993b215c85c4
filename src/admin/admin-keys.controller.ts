import { Body, Controller, Delete, Get, NotFoundException, Param, Post, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { KeyRevocations } from '../keys/key-revocations';
import { KeysService } from '../keys/keys.service';
import { AdminErrorsFilter } from './admin-errors.filter';
import { AdminKeyGuard } from './admin-key.guard';
import { adminValidation } from './admin-validation.pipe';
import { CreateKeyDto } from './dto/create-key.dto';
import { KeyView, keyView } from './key-view';

/** Virtual keys: list, create (the plain key is in this one answer), revoke (which ends the key's open calls). */
@Controller('admin/api/keys')
@UseGuards(AdminKeyGuard)
@UsePipes(adminValidation)
@UseFilters(AdminErrorsFilter)
export class AdminKeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly revocations: KeyRevocations,
  ) {}

  @Get()
  async list(): Promise<KeyView[]> {
    return (await this.keys.list()).map(keyView);
  }

  @Post()
  async create(@Body() body: CreateKeyDto): Promise<KeyView & { key: string }> {
    const { key, record } = await this.keys.create({
      userId: body.user,
      tenantId: body.tenant,
      tier: body.tier,
      tokenBudget: body.token_budget,
      name: body.name,
    });
    return { ...keyView(record), key };
  }

  @Delete(':id')
  async revoke(@Param('id') id: string): Promise<KeyView> {
    const record = await this.keys.revoke(id);
    if (!record)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: [`No key has the id '${id}'; GET /admin/api/keys lists them`],
      });
    // its open calls (streams) end on every instance
    await this.revocations.revoked(id);
    return keyView(record);
  }
}
