import { OpenAPIRegistry, OpenApiGeneratorV3, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'calibloop API token (calibloop token create)' });
  return registry;
}

export function buildDocument(registry: OpenAPIRegistry) {
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'calibloop API',
      version: '1',
      description: 'Prompt calibration loop and conditions data (global tags, payloads, IoVs). Reads of conditions are anonymous; every mutation needs a bearer token.',
    },
    servers: [{ url: '/' }],
  });
}
