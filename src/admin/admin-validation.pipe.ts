import { ValidationPipe } from '@nestjs/common';

/** Admin bodies and queries: typed, unknown fields refused, 400 with one message per bad field. */
export const adminValidation = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
