list(APPEND GATEHOUSE_ENGINE_SOURCES
    config/collectioncatalog.h config/configstore.cpp config/configstore.h
    commands/commandrequest.cpp commands/commandrequest.h
    commands/commandservice.cpp commands/commandservice.h
    commands/commanddecider.h commands/customcommandhandler.cpp commands/customcommandhandler.h)
