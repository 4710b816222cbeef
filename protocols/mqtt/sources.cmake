# protocols/mqtt: the MQTT bridge (Eclipse Paho MQTT C++ client, MQTT 5) and the managed
# Mosquitto broker. Paho is linked by protocols/CMakeLists.txt (find_package(PahoMqttCpp)).
list(APPEND GATEHOUSE_PROTOCOLS_SOURCES
    mqtt/managedbroker.cpp mqtt/managedbroker.h
    mqtt/mosquittoconfig.cpp mqtt/mosquittoconfig.h
    mqtt/mqttbridge.cpp mqtt/mqttbridge.h
    mqtt/mqttcommandingress.cpp mqtt/mqttcommandingress.h
    mqtt/mqttcommandsequencer.cpp mqtt/mqttcommandsequencer.h
    mqtt/mqttlogging.cpp mqtt/mqttlogging.h
    mqtt/mqttoptions.h
    mqtt/mqttoutbox.cpp mqtt/mqttoutbox.h
    mqtt/mqttpublishfailure.h
    mqtt/mqttretainedstate.cpp mqtt/mqttretainedstate.h
    mqtt/mqttservice.cpp mqtt/mqttservice.h
    mqtt/mqttstatus.h
    mqtt/mqtttopics.cpp mqtt/mqtttopics.h)
