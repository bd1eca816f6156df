-- Which question a stored checklist file was uploaded for.
--
-- A file answer may send back a file the server returned earlier (`stored_file_id` without
-- `content`). That is accepted only for a file stored for the same completion and the same
-- question, and the entry is rebuilt from this row (name, size, MIME type), so that a client
-- can neither borrow another question's or completion's file nor rewrite a file's metadata.

ALTER TABLE checklist_files ADD COLUMN question_id bigint
    CONSTRAINT checklist_files_question_fkey REFERENCES checklist_questions (id) ON DELETE CASCADE;

-- Files stored before this migration: the question of the answer that refers to them. A file
-- no answer refers to keeps NULL, matches no question, and goes at the next submission.
UPDATE checklist_files f SET question_id = a.question_id
FROM checklist_answers a
WHERE a.completion_id = f.completion_id
  AND (a.answer_data @> jsonb_build_object('stored_file_id', replace(f.uuid::text, '-', ''))
       OR a.answer_data @> jsonb_build_array(jsonb_build_object('stored_file_id', replace(f.uuid::text, '-', ''))));

-- Deleting a question (a checklist re-import) removes its files through this key.
CREATE INDEX checklist_files_question_idx ON checklist_files (question_id);
