import { Injectable, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { errorAnswer } from '../http/error-body.filter.js';
import { AdminAccess } from './admin-access.js';

export const ADMIN_DOCS_PATH = 'admin/docs';

/**
 * Mounts the docs (`setupAdminDocs`) when the application initialises, after Nest has
 * registered its middleware and routes and before its 404 handler. Express tries its layers in
 * the order they were added, and the docs are ten of them: mounted before Nest's, every
 * webhook was matched against each of them first.
 */
@Injectable()
export class AdminDocs implements OnModuleInit {
  private app?: INestApplication;

  /** Called before the application initialises (`configureApp`). */
  mountOn(app: INestApplication): void {
    this.app = app;
  }

  onModuleInit(): void {
    if (this.app) setupAdminDocs(this.app);
  }
}

/**
 * OpenAPI for `/admin/api` at `/admin/docs` (the UI) and `/admin/docs/openapi.json`, behind the
 * same check as the API. Swagger's routes are plain Express handlers, outside Nest's middleware,
 * so the check is mounted in front of them here.
 */
export function setupAdminDocs(app: INestApplication): void {
  const access = app.get(AdminAccess);
  app.use(`/${ADMIN_DOCS_PATH}`, (req: Request, res: Response, next: NextFunction) => {
    try {
      access.check(req);
      next();
    } catch (error) {
      const { status, body } = errorAnswer(error);
      res.status(status).json(body);
    }
  });
  const config = new DocumentBuilder()
    .setTitle('Switchyard admin API')
    .setDescription(
      'What was received, what failed verification, what was delivered, and the repairs. ' +
        'Every error is {"error": "<code>", "message": "…"}.',
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' })
    .build();
  SwaggerModule.setup(ADMIN_DOCS_PATH, app, () => adminOnly(SwaggerModule.createDocument(app, config)), {
    jsonDocumentUrl: `${ADMIN_DOCS_PATH}/openapi.json`,
    raw: ['json'],
  });
}

/** The webhook and health routes have their own contract in the README; the docs are the admin API's. */
function adminOnly(document: OpenAPIObject): OpenAPIObject {
  const paths = Object.fromEntries(
    Object.entries(document.paths).filter(([path]) => path.startsWith('/admin/api')),
  );
  return { ...document, paths };
}
