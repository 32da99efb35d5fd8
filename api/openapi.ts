// The OpenAPI 3.1 document served at /openapi.json. Request schemas come from the same zod
// schemas the routes validate with, so the document cannot drift from the code.
import { z } from 'zod';
import { CHANNELS } from '../core/channels';
import { capRulesSchema } from '../core/frequency-caps';
import { accountQuietHoursSchema, journeyDefinitionSchema } from '../core/journey-definition';
import { customerBatchSchema, customerBodySchema } from './customer-input';
import { deliveryPaths, deliverySchemas, deliverySecuritySchemes } from './openapi-delivery';
import { errorResponses, idParam, json, ok, ref } from './openapi-parts';
import { segmentPaths, segmentRequestSchemas, segmentResponseSchemas } from './openapi-segments';
import { eventBatchSchema, eventSchema } from './routes/events';
import { codeLaunchBodySchema } from './routes/code-journeys';
import { launchBodySchema } from './routes/launches';
import { templateBodySchema } from './routes/templates';

/**
 * Every request schema as a component, from one zod registry: schemas that share a recursive
 * part (the segment rule, inside segments and inside journey branches) reference one component
 * instead of `$defs` that would point nowhere in an OpenAPI document.
 */
function requestComponents(): Record<string, object> {
  const registry = z.registry<{ id: string }>();
  const named: Record<string, z.ZodType> = {
    CustomerInput: customerBodySchema,
    CustomerBatchInput: customerBatchSchema,
    EventInput: eventSchema,
    EventBatchInput: eventBatchSchema,
    TemplateInput: templateBodySchema,
    JourneyDefinition: journeyDefinitionSchema,
    LaunchInput: launchBodySchema,
    CodeLaunchInput: codeLaunchBodySchema,
    FrequencyCaps: capRulesSchema,
    AccountQuietHours: accountQuietHoursSchema,
    ...segmentRequestSchemas,
  };
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  // A fragment-only `$id` is not a valid JSON Schema ID; a component is named by its key.
  for (const schema of Object.values(schemas)) delete schema.$id;
  return schemas;
}
let cached: object | undefined;

/** A note about one field of a request: what is wrong with it, or what to look at. */
const fieldNote = { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } };

const template = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    channel: { type: 'string', enum: [...CHANNELS] },
    content: { type: 'object', description: 'The fields of the channel, as given (see TemplateInput)' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'Cairn API',
      version: '0.1.0',
      description: 'Customers, templates and journeys; launch journeys and follow each customer run.',
    },
    security: [{ apiKey: [] }],
    paths: {
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': ok('The process is up') } } },
      '/readyz': {
        get: {
          summary: 'Readiness: Temporal and MongoDB answer',
          security: [],
          responses: { '200': ok('Ready'), '503': ok('A dependency does not answer') },
        },
      },
      '/v1/customers/{id}': {
        parameters: [idParam('id', 'Your ID for the customer')],
        put: {
          summary: 'Create a customer or merge fields into it (null removes a field; `{}` creates it with none)',
          requestBody: { required: true, content: json(ref('CustomerInput')) },
          responses: {
            '200': ok('Updated', ref('Customer')),
            '201': ok('Created', ref('Customer')),
            ...errorResponses,
            '400': { description: 'Invalid input, or no JSON body: `error.details` names each wrong field', content: json(ref('Error')) },
          },
        },
        get: { summary: 'Read a customer', responses: { '200': ok('The customer', ref('Customer')), ...errorResponses } },
      },
      '/v1/customers/batch': {
        post: {
          summary: 'Create or update up to 1,000 customers; all are validated before any is written',
          requestBody: { required: true, content: json(ref('CustomerBatchInput')) },
          responses: {
            '200': ok('Written', { type: 'object', properties: { created: { type: 'integer' }, updated: { type: 'integer' } } }),
            ...errorResponses,
          },
        },
      },
      '/v1/events': {
        post: {
          summary: "Track one event; it updates the customer's roll-ups (a resent event ID is ignored)",
          requestBody: { required: true, content: json(ref('EventInput')) },
          responses: { '202': ok('Stored', ref('IngestResult')), ...errorResponses },
        },
      },
      '/v1/events/batch': {
        post: {
          summary: 'Track up to 1,000 events; all are validated before any is stored',
          requestBody: { required: true, content: json(ref('EventBatchInput')) },
          responses: { '202': ok('Stored', ref('IngestResult')), ...errorResponses },
        },
      },
      '/v1/customers/{id}/inbox': {
        parameters: [idParam('id', 'Customer ID')],
        get: { summary: "The customer's web inbox, newest first (100 at most)", responses: { '200': ok('Messages'), ...errorResponses } },
      },
      '/v1/templates/{id}': {
        parameters: [idParam('id', 'Template ID')],
        put: {
          summary: 'Create or replace a Handlebars template for one channel',
          description:
            'Checked before it is saved: each field must compile with the built-in helpers (if, unless, each, with, lookup) and read no prototype name (`__proto__`, `constructor`...), and `link` and `imageUrl` must be https: (http: for localhost and 127.0.0.1; a web `link` may be relative). A variable outside the render context is allowed, and named in `warnings`.',
          requestBody: { required: true, content: json(ref('TemplateInput')) },
          responses: {
            '200': ok('Replaced', ref('TemplateSaved')),
            '201': ok('Created', ref('TemplateSaved')),
            ...errorResponses,
            '400': {
              description: 'Invalid template: `error.details` names each wrong field (it does not compile, calls an unknown helper, reads a prototype name, or has a link that is not https:)',
              content: json(ref('Error')),
            },
          },
        },
        get: { summary: 'Read a template', responses: { '200': ok('The template', ref('Template')), ...errorResponses } },
      },
      '/v1/journeys/{id}': {
        parameters: [idParam('id', 'Journey ID')],
        put: {
          summary: 'Create a journey or save a new version of its definition (runs under way keep theirs)',
          requestBody: { required: true, content: json(ref('JourneyDefinition')) },
          responses: { '200': ok('New version saved'), '201': ok('Created'), ...errorResponses },
        },
        get: { summary: 'Read a journey and its current version', responses: { '200': ok('The journey'), ...errorResponses } },
      },
      '/v1/journeys/{id}/launch': {
        parameters: [idParam('id', 'Journey ID')],
        post: {
          summary:
            'Enter up to 1,000 customers now, or a whole segment in the background, or (empty body) put a segment- or event-entry journey live; nobody enters twice',
          requestBody: { required: true, content: json(ref('LaunchInput')) },
          responses: {
            '202': ok('Runs started (customerIds), or the launch started or joined (segmentId)', {
              type: 'object',
              properties: {
                journeyId: { type: 'string' },
                version: { type: 'integer' },
                entered: { type: 'array', items: { type: 'string' } },
                alreadyEntered: { type: 'array', items: { type: 'string' } },
                launch: {
                  type: 'object',
                  properties: { workflowId: { type: 'string' }, segmentId: { type: 'string' }, progress: { type: 'string' } },
                },
              },
            }),
            ...errorResponses,
          },
        },
      },
      '/v1/journeys/{id}/stop-entries': {
        parameters: [idParam('id', 'Journey ID')],
        post: {
          summary: 'Stop new entries of a live journey (segment or event entry); runs under way go on',
          responses: { '200': ok('Entries stopped'), ...errorResponses },
        },
      },
      '/v1/settings/quiet-hours': {
        get: { summary: "The account's quiet hours (404 when none are set)", responses: { '200': ok('The quiet hours', ref('AccountQuietHours')), ...errorResponses } },
        put: {
          summary: "Set the account's quiet hours, in each customer's time zone, for journeys without their own (transactional sends go anyway)",
          requestBody: { required: true, content: json(ref('AccountQuietHours')) },
          responses: { '200': ok('Saved', ref('AccountQuietHours')), ...errorResponses },
        },
        delete: { summary: "Remove the account's quiet hours", responses: { '204': { description: 'Removed' }, ...errorResponses } },
      },
      '/v1/settings/frequency-caps': {
        get: { summary: 'The frequency caps: at most `limit` messages per customer per rolling `window`', responses: { '200': ok('The rules', ref('FrequencyCaps')), ...errorResponses } },
        put: {
          summary: 'Replace the frequency caps (applied to non-transactional sends of every journey)',
          requestBody: { required: true, content: json(ref('FrequencyCaps')) },
          responses: { '200': ok('Saved', ref('FrequencyCaps')), ...errorResponses },
        },
      },
      '/v1/code-journeys': {
        get: { summary: 'The code-first journey types this deployment runs', responses: { '200': ok('The types'), ...errorResponses } },
      },
      '/v1/code-journeys/{id}/launch': {
        parameters: [idParam('id', 'Code-first journey ID, e.g. onboarding')],
        post: {
          summary: 'Enter up to 1,000 customers into a code-first journey; runs read at /v1/journeys/{id}/runs/{customerId}',
          requestBody: { required: true, content: json(ref('CodeLaunchInput')) },
          responses: { '202': ok('Runs started'), ...errorResponses },
        },
      },
      '/v1/journeys/{id}/stats': {
        parameters: [idParam('id', 'Journey ID')],
        get: {
          summary: 'Journey and per-step numbers: entered, on the step now, sends by outcome and by provider-reported status, statuses, conversions, split paths',
          responses: { '200': ok('The numbers'), ...errorResponses },
        },
      },
      '/v1/journeys/{id}/draft': {
        parameters: [idParam('id', 'Journey ID')],
        put: {
          summary: 'Save a draft, checked like a publish; launches keep using the published version',
          requestBody: { required: true, content: json(ref('JourneyDefinition')) },
          responses: { '200': ok('Draft saved'), '201': ok('Journey created with a draft'), ...errorResponses },
        },
      },
      '/v1/journeys/{id}/validate': {
        parameters: [idParam('id', 'Journey ID')],
        post: {
          summary: 'Check a definition without saving it',
          requestBody: { required: true, content: json(ref('JourneyDefinition')) },
          responses: { '200': ok('Valid'), ...errorResponses },
        },
      },
      '/v1/journeys/{id}/publish': {
        parameters: [idParam('id', 'Journey ID')],
        post: { summary: 'Publish the draft as the next version', responses: { '200': ok('Published'), ...errorResponses } },
      },
      '/v1/journeys/{id}/pause': {
        parameters: [idParam('id', 'Journey ID')],
        post: {
          summary: 'Pause the journey: nobody enters, runs hold before their next send (waits go on)',
          responses: { '202': ok('Pausing'), ...errorResponses },
        },
      },
      '/v1/journeys/{id}/resume': {
        parameters: [idParam('id', 'Journey ID')],
        post: { summary: 'Resume a paused journey: held sends go out, entries start again', responses: { '202': ok('Resuming'), ...errorResponses } },
      },
      '/v1/journeys/{id}/archive': {
        parameters: [idParam('id', 'Journey ID')],
        post: {
          summary: 'Archive the journey: it stops as POST /v1/journeys/{id}/stop does, for good, and can no longer be edited or launched',
          responses: { '202': ok('Archived'), ...errorResponses },
        },
      },
      '/v1/journeys/{id}/stop': {
        parameters: [idParam('id', 'Journey ID')],
        post: {
          summary: 'Stop the journey until it is launched again: no new entries, its launches end, every run under way ends (status "stopped") and sends nothing more',
          description:
            'Answered once the stop holds (about two seconds): every process has seen it, the journey\'s segment launches have ended (status "stopped"; up to 30 s; `launchesStillRunning` counts those whose worker is down), and the runs Temporal lists were asked to stop. After the answer no run starts and no message is handed to a provider; a run the signal missed has its sends skipped with reason `journey-stopped`.',
          responses: { '202': ok('Stopped: `stopping` runs were asked to end'), ...errorResponses },
        },
      },
      '/v1/journeys/{id}/runs/{customerId}/stop': {
        parameters: [idParam('id', 'Journey ID'), idParam('customerId', 'Customer ID')],
        post: { summary: "Stop one customer's run", responses: { '202': ok('Stopping'), ...errorResponses } },
      },
      '/v1/journeys/{id}/launches/{segmentId}': {
        parameters: [idParam('id', 'Journey ID'), idParam('segmentId', 'Segment ID')],
        get: {
          summary: "A segment launch's progress: status, estimated total, entered, already entered, cursor",
          responses: { '200': ok('The launch'), ...errorResponses },
        },
      },
      ...segmentPaths(),
      ...deliveryPaths(),
      '/v1/journeys/{id}/runs/{customerId}': {
        parameters: [idParam('id', 'Journey ID'), idParam('customerId', 'Customer ID')],
        get: {
          summary: "One customer's run: Temporal status, current step, path, sends, wait deadline",
          responses: { '200': ok('The run'), ...errorResponses },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'One of CAIRN_API_KEYS' }, ...deliverySecuritySchemes },
      schemas: {
        IngestResult: {
          type: 'object',
          properties: {
            accepted: { type: 'integer', description: 'events stored now' },
            duplicates: { type: 'integer', description: 'events whose ID was already stored' },
          },
        },
        Customer: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            email: { type: 'string' },
            phone: { type: 'string' },
            timeZone: { type: 'string' },
            locale: { type: 'string' },
            pushTokens: { type: 'array', items: { type: 'object' } },
            consent: { type: 'object', additionalProperties: { type: 'boolean' } },
            attributes: { type: 'object' },
            events: {
              type: 'object',
              description: 'Per event name: count, first and last time',
              additionalProperties: {
                type: 'object',
                properties: { count: { type: 'integer' }, first: { type: 'string' }, last: { type: 'string' } },
              },
            },
            lastSeenAt: { type: 'string', format: 'date-time' },
            createdAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
          },
        },
        Template: template,
        TemplateSaved: {
          ...template,
          properties: {
            ...template.properties,
            warnings: {
              type: 'array',
              description: 'Variables outside the render context (`custmer.name`): saved, but they render empty',
              items: fieldNote,
            },
          },
        },
        ...requestComponents(),
        ...segmentResponseSchemas(),
        ...deliverySchemas(),
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: { type: 'array', items: fieldNote },
              },
            },
          },
        },
      },
    },
  };
  return cached;
}
