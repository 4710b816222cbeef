list(APPEND GATEHOUSE_ENGINE_SOURCES
    functions/functiondefinition.cpp functions/functiondefinition.h
    functions/functionhttp.cpp functions/functionhttp.h
    functions/functioninstance.cpp functions/functioninstance.h
    functions/functionlimits.h
    functions/functionoutcome.h
    functions/functionprojection.cpp functions/functionprojection.h
    functions/functiondecide.cpp
    functions/functioninvocation.cpp
    functions/functionservice.cpp functions/functionservice.h functions/functionservice_p.h
    functions/functionstats.cpp functions/functionstats.h
    functions/functionworker.cpp functions/functionworker.h
    functions/functionworkerprocess.cpp functions/functionworkerprocess.h
    functions/processinstance.cpp functions/processinstance.h
    functions/scriptcontext.cpp functions/scriptcontext.h
    functions/scripthost.cpp functions/scripthost.h
    functions/scriptjson.cpp functions/scriptjson.h
    functions/scriptwatchdog.cpp functions/scriptwatchdog.h
    functions/threadinstance.cpp functions/threadinstance.h
    functions/workerchannel.cpp functions/workerchannel.h
    functions/workerspares.cpp functions/workerspares.h)
