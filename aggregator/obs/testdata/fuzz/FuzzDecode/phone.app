go test fuzz v1
[]byte("{\"ids\":[{\"kind\":\"adid\",\"value\":\"49ba2f66-0e78-4e0e-a5d6-0b35c51ce397\"},{\"kind\":\"msisdn\",\"value\":\"+33673143298\"}],\"app\":\"WhatsApp\",\"category\":\"messages\",\"device\":\"phone\",\"duration_s\":158}")
