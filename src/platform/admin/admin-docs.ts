import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { errorAnswer } from '../http/error-body.filter.js';
import { AdminAccess } from './admin-access.js';

export const ADMIN_DOCS_PATH = 'admin/docs';

/**
 * OpenAPI for `/admin/api` at `/admin/docs` (the UI) and `/admin/docs/openapi.json`, behind the
 * same check as the API. Swagger's routes are plain Express handlers registered now, ahead of
 * Nest's middleware, so the check is mounted in front of them here.
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
