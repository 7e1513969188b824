import { Module } from '@nestjs/common';
import { AdminPageController } from './admin-page.controller.js';

/** `/admin`: the web page over `/admin/api`. */
@Module({ controllers: [AdminPageController] })
export class AdminPageModule {}
