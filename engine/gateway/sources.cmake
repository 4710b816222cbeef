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
    gateway/resourcelimits.cpp gateway/resourcelimits.h
    gateway/resourceschemas.cpp gateway/resourceschemas.h
    gateway/resourceschematext.cpp gateway/resourceschematext.h
    gateway/configexport.cpp gateway/configexport.h
    gateway/plugins/builtinplugins.h
    gateway/plugins/requestidplugin.cpp
    gateway/plugins/keyauthplugin.cpp
    gateway/plugins/basicauthplugin.cpp
    gateway/plugins/jwtauthplugin.cpp
    gateway/plugins/jsonwebtoken.cpp gateway/plugins/jsonwebtoken.h
    gateway/plugins/constanttime.h gateway/plugins/steadyclock.h
    gateway/plugins/requestvariables.cpp gateway/plugins/requestvariables.h
    gateway/plugins/limitkey.cpp gateway/plugins/limitkey.h
    gateway/plugins/windowcounter.cpp gateway/plugins/windowcounter.h
    gateway/plugins/leakybucket.cpp gateway/plugins/leakybucket.h
    gateway/plugins/limitcountplugin.cpp
    gateway/plugins/limitreqplugin.cpp
    gateway/plugins/limitconnplugin.cpp
    gateway/plugins/circuitbreaker.cpp gateway/plugins/circuitbreaker.h gateway/plugins/breakerstate.h
    gateway/plugins/apibreakerplugin.cpp
    gateway/plugins/corsplugin.cpp
    gateway/plugins/proxyrewriteplugin.cpp)

# The `http` upstream (proxy to external nodes); its connections read answers with llhttp.
list(APPEND GATEHOUSE_ENGINE_SOURCES
    gateway/httpupstream.cpp gateway/httpupstream.h
    gateway/httpupstreambalancer.cpp gateway/httpupstreambalancer.h
    gateway/httpupstreamchecker.cpp gateway/httpupstreamchecker.h
    gateway/httpupstreamconnection.cpp gateway/httpupstreamconnection.h
    gateway/httpupstreamexchange.cpp gateway/httpupstreamexchange.h
    gateway/httpupstreamforwarding.cpp gateway/httpupstreamforwarding.h
    gateway/httpupstreamhealth.cpp gateway/httpupstreamhealth.h
    gateway/httpupstreamlogging.h
    gateway/httpupstreamresponseparser.cpp gateway/httpupstreamresponseparser.h
    gateway/httpupstreamspec.cpp gateway/httpupstreamspec.h
    gateway/httpupstreamstate.cpp gateway/httpupstreamstate.h)
target_link_libraries(engine PRIVATE llhttp)
