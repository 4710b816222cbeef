list(APPEND GATEHOUSE_ENGINE_SOURCES
    gateway/apirequest.cpp gateway/apirequest.h
    gateway/apiresponse.cpp gateway/apiresponse.h
    gateway/route.cpp gateway/route.h
    gateway/routetable.cpp gateway/routetable.h
    gateway/routevars.cpp gateway/routevars.h
    gateway/gateway.cpp gateway/gateway.h
    gateway/gatewayconfig.cpp gateway/gatewayconfig.h
    gateway/consumerindex.cpp gateway/consumerindex.h
    gateway/plugin.h gateway/pluginstate.h
    gateway/pluginregistry.cpp gateway/pluginregistry.h
    gateway/defaultroutes.cpp gateway/defaultroutes.h
    gateway/resourceservice.cpp gateway/resourceservice.h
    gateway/configexport.cpp gateway/configexport.h
    gateway/plugins/builtinplugins.h
    gateway/plugins/requestidplugin.cpp
    gateway/plugins/keyauthplugin.cpp)
