import { Controller, Get, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../admin/admin.guard.js';
import { Doctor } from './doctor.service.js';
import type { DiagnosticsReport } from './finding.js';

/** `GET /admin/api/diagnostics`: the doctor's report, behind the admin token. */
@Controller('admin/api/diagnostics')
@UseGuards(AdminGuard)
export class DiagnosticsController {
  constructor(private readonly doctor: Doctor) {}

  @Get()
  diagnose(): Promise<DiagnosticsReport> {
    return this.doctor.examine();
  }
}
