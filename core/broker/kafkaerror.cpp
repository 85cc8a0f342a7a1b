#include "broker/kafkaerror.h"

namespace pw::broker {

std::string_view kafkaErrorName(KafkaError e)
{
    switch (e) {
    case KafkaError::None:
        return "NONE";
    case KafkaError::OffsetOutOfRange:
        return "OFFSET_OUT_OF_RANGE";
    case KafkaError::CorruptMessage:
        return "CORRUPT_MESSAGE";
    case KafkaError::UnknownTopicOrPartition:
        return "UNKNOWN_TOPIC_OR_PARTITION";
    case KafkaError::NotCoordinator:
        return "NOT_COORDINATOR";
    case KafkaError::IllegalGeneration:
        return "ILLEGAL_GENERATION";
    case KafkaError::UnknownMemberId:
        return "UNKNOWN_MEMBER_ID";
    case KafkaError::RebalanceInProgress:
        return "REBALANCE_IN_PROGRESS";
    case KafkaError::UnsupportedVersion:
        return "UNSUPPORTED_VERSION";
    case KafkaError::TopicAlreadyExists:
        return "TOPIC_ALREADY_EXISTS";
    case KafkaError::OutOfOrderSequenceNumber:
        return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case KafkaError::DuplicateSequenceNumber:
        return "DUPLICATE_SEQUENCE_NUMBER";
    case KafkaError::NonEmptyGroup:
        return "NON_EMPTY_GROUP";
    case KafkaError::GroupIdNotFound:
        return "GROUP_ID_NOT_FOUND";
    case KafkaError::KafkaStorageError:
        return "KAFKA_STORAGE_ERROR";
    case KafkaError::PolicyViolation:
        return "POLICY_VIOLATION";
    case KafkaError::InvalidPartitions:
        return "INVALID_PARTITIONS";
    default:
        return "KAFKA_ERROR";
    }
}

} // namespace pw::broker
