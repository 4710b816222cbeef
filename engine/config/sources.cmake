# engine/config: project file, collections, JSON Schema subset, JSON merge patch.
list(APPEND GATEHOUSE_ENGINE_SOURCES
    config/collection.cpp config/collection.h
    config/ecmaregex.cpp config/ecmaregex.h
    config/embeddedresources.cpp config/embeddedresources.h
    config/jsonmergepatch.cpp config/jsonmergepatch.h
    config/jsonpointer.cpp config/jsonpointer.h
    config/jsonschema.cpp config/jsonschema.h
    config/projectconfig.cpp config/projectconfig.h
    config/schemacompiler.cpp config/schemacompiler.h
    config/schemanode.h
    config/schemavalidator.cpp config/schemavalidator.h
    config/schemaviolation.h
    config/strictjson.cpp config/strictjson.h)
