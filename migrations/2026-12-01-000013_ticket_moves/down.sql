DROP TABLE ticket_moves;
