# syntax=docker/dockerfile:1
# Build: docker build -t scoped-key-gateway .
# Run:   docker run -p 8080:8080 -p 127.0.0.1:8081:8081 -e Redis__Configuration=redis:6379 -e Admin__Token=... scoped-key-gateway
#        (or docker compose up --build: gateway, Redis and a demo upstream; see docker-compose.yml)
# CI runs this file's restore and publish commands word for word (.ci/run; .ci/check-dockerfile.sh keeps them equal).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Gateway.sln appsettings.json Directory.Build.props Directory.Packages.props ./
COPY Gateway/Gateway.csproj Gateway/
RUN dotnet restore Gateway/Gateway.csproj
COPY Gateway/ Gateway/
RUN dotnet publish Gateway/Gateway.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The config file is /app/appsettings.json (beside the binary); mount your own over it, or set GATEWAY_CONFIG.
# Inside a container the listeners must bind all interfaces; keep the admin port off the public network.
ENV Kestrel__Endpoints__Proxy__Url=http://0.0.0.0:8080 \
    Kestrel__Endpoints__Admin__Url=http://0.0.0.0:8081 \
    Store__DataDirectory=/app/data
RUN mkdir -p /app/data && chown -R app:app /app/data
USER app
EXPOSE 8080 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["dotnet", "Gateway.dll", "--healthcheck"]
ENTRYPOINT ["dotnet", "Gateway.dll"]
