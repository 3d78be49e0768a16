module kafka-fleet/pause

go 1.26
