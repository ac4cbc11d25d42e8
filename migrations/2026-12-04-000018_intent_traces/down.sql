DROP TABLE intent_traces;
