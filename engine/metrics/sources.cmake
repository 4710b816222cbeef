list(APPEND GATEHOUSE_ENGINE_SOURCES
    metrics/metricsregistry.cpp metrics/metricsregistry.h)
