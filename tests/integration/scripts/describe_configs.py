"""Describes topic and broker configs through kafka-python's KafkaAdminClient and prints them as JSON.

usage: describe_configs.py BOOTSTRAP TOPIC [TOPIC...] --broker ID
"""
import json
import sys

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient


def main():
    args = sys.argv[1:]
    bootstrap = args.pop(0)
    broker = None
    if "--broker" in args:
        i = args.index("--broker")
        broker = args[i + 1]
        del args[i:i + 2]
    resources = [ConfigResource(ConfigResourceType.TOPIC, t) for t in args]
    if broker is not None:
        resources.append(ConfigResource(ConfigResourceType.BROKER, broker))
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="describe-configs-test", request_timeout_ms=15000)
    try:
        responses = admin.describe_configs(resources, include_synonyms=True)
        out = {"api_version": None, "resources": []}
        for response in responses:
            out["api_version"] = response.API_VERSION
            for error_code, error_message, resource_type, name, entries in response.resources:
                configs = {}
                for entry in entries:
                    # v1+: (name, value, read_only, config_source, is_sensitive, synonyms)
                    configs[entry[0]] = {"value": entry[1], "read_only": entry[2], "source": entry[3],
                                         "sensitive": entry[4], "synonyms": [list(s) for s in entry[5]]}
                out["resources"].append({"error": error_code, "message": error_message, "type": resource_type,
                                         "name": name, "configs": configs})
        print(json.dumps(out))
    finally:
        admin.close()


if __name__ == "__main__":
    main()
